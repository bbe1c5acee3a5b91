"""Screening evidence for officers: the party as declared beside the full list entry it matched (names and
aliases, addresses, country, identifiers, dates, programmes, source list and its licence policy), with the words
both share highlighted. The clearance's view keeps only the match's summary; the entry is read from the store
(a cross-list read, for officers only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from api.console.formatting import address_lines, words
from api.deps import ServicesDep
from screening.lists import ListEntry
from store import screening_lists
from store.models import ScreeningList


@dataclass(frozen=True)
class MatchEvidence:
    match: Mapping[str, Any]  # as the view has it: list, entry_id, name, score, matched_alias, programs, country
    entry: ListEntry | None  # None when the list no longer holds the entry
    listed: ScreeningList | None
    shared: frozenset[str]  # the words (folded) the declared party and the entry have in common


@dataclass(frozen=True)
class PartyEvidence:
    party: Mapping[str, Any]  # the screened party (role, name, country, status, matches)
    declared: Mapping[str, Any]  # the party as the declaration gives it (name, address, eori)
    matches: list[MatchEvidence]


def _declared_words(declared: Mapping[str, Any], party: Mapping[str, Any]) -> set[str]:
    address = declared.get("address") or {}
    return words(party.get("name"), declared.get("name"), address_lines(address) if address else None)


def _entry_words(entry: ListEntry | None, match: Mapping[str, Any]) -> set[str]:
    if entry is None:
        return words(match.get("name"), match.get("matched_alias"))
    return words(entry.name, *entry.alt_names, *(address_lines(a) for a in entry.addresses))


async def screening_evidence(services: ServicesDep, view: Mapping[str, Any]) -> dict[str, PartyEvidence]:
    """Evidence for every screened party that has matches, by party role."""
    declaration = view.get("declaration") or {}
    parties = [p for p in ((view.get("screening") or {}).get("parties") or []) if p.get("matches")]
    if not parties:
        return {}
    found: dict[str, PartyEvidence] = {}
    async with services.db.session() as session:
        lists: dict[str, ScreeningList | None] = {}
        for party in parties:
            declared = declaration.get(party.get("role")) or {}
            mine = _declared_words(declared, party)
            matches = []
            for match in party["matches"]:
                name = str(match.get("list"))
                entry = await screening_lists.get_entry(session, name, str(match.get("entry_id")))
                if name not in lists:
                    lists[name] = await screening_lists.get_list(session, name)
                shared = frozenset(mine & _entry_words(entry, match))
                matches.append(MatchEvidence(match, entry, lists[name], shared))
            found[str(party.get("role"))] = PartyEvidence(party, declared, matches)
    return found
