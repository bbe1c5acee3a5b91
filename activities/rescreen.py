"""Delta screening activities: after a list import, screen the clearances that were screened on an older revision
against only the entries that import added or changed, one bounded page at a time.

The delta index is compact (`screening.NameIndex`): it is built only when a page has clearances to screen, kept for
the few imports in progress, and the records of the entries that matched are read from the store (an entry a later
import changed again is left to that import's re-screening). Each page of read models is screened off the event
loop."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import structlog
from temporalio import activity

from domain.clearance import ClearanceSubject, ScreeningMatch
from domain.declaration import Declaration
from domain.rescreen import (
    ClearanceHit,
    PartyHit,
    RecordRescreenInput,
    RescreenHit,
    RescreenPage,
    RescreenPageInput,
)
from screening.entries import ListEntry
from screening.index import Hit, Match, NameIndex
from screening.matches import matches_of
from sop.model import ScreeningStep
from store import agencies, rescreening, screening_lists, sops
from store.db import Database
from store.models import ClearanceRecord
from workflows import options

log = structlog.get_logger("activities.rescreen")

DEFAULT_THRESHOLD = 88.0
KEPT_INDEXES = 2  # delta indexes kept: a first import's delta is the whole list


class PartySearch(Protocol):
    def search(
        self, name: str, country: str | None = None, *, limit: int = 10, min_score: float = 80.0
    ) -> list[Match]: ...


class _DeltaSearch:
    """A delta index searched in two passes: the first records the hits (no matches yet), the second, once the hit
    entries' records are read, answers the matches for the same queries."""

    def __init__(self, index: NameIndex) -> None:
        self._index = index
        self.found: dict[tuple[str, str | None, float], list[Hit]] = {}
        self.entries: dict[tuple[str, str], ListEntry] | None = None
        self.answered_hits = 0  # searches that found something (cached or not)

    def search(self, name: str, country: str | None = None, *, limit: int = 10, min_score: float = 80.0) -> list[Match]:
        key = (name, country, min_score)
        hits = self.found.get(key)
        if hits is None:
            hits = self.found[key] = self._index.hits(name, country, limit=limit, min_score=min_score)
        self.answered_hits += bool(hits)
        return [] if self.entries is None else matches_of(name, hits, self.entries)


def screened_revision(view: dict[str, Any], list_name: str) -> int:
    """The revision of `list_name` the clearance was screened on; 0 when it did not record one (older views)."""
    screening = view.get("screening") or {}
    return int((screening.get("list_revisions") or {}).get(list_name, 0))


def known_matches(view: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    """(list, entry id) per party role that the clearance has already seen: in its screening or a re-screening."""
    known: dict[str, set[tuple[str, str]]] = {}
    for party in (view.get("screening") or {}).get("parties", []):
        known.setdefault(party["role"], set()).update((m["list"], m["entry_id"]) for m in party.get("matches", []))
    for entry in view.get("rescreening", []):
        known.setdefault(entry["party"], set()).update((entry["list"], e) for e in entry["entries"])
    return known


def screen_view(
    view: dict[str, Any], *, index: PartySearch, list_name: str, revision: int, threshold: float
) -> RescreenHit | None:
    """New possible matches of the clearance's parties among the delta's entries, or None.

    A clearance already screened on `revision` (or later) is left alone, and so is a match it has seen before."""
    if screened_revision(view, list_name) >= revision or not view.get("declaration"):
        return None
    known = known_matches(view)
    declaration = Declaration.model_validate(view["declaration"])
    parties = []
    for role, party in declaration.parties():
        country = getattr(party, "country", None)
        found = index.search(party.name, country, min_score=threshold)
        new = [m for m in found if m.list == list_name and (m.list, m.entry_id) not in known.get(role, set())]
        if new:
            matches = [
                ScreeningMatch(
                    list=m.list,
                    entry_id=m.entry_id,
                    name=m.name,
                    score=m.score,
                    matched_alias=m.matched_alias,
                    programs=list(m.programs),
                    country=m.country,
                )
                for m in new
            ]
            parties.append(PartyHit(role=role, name=party.name, country=country, matches=matches))
    return RescreenHit(list=list_name, revision=revision, parties=parties) if parties else None


def subject_of_record(row: ClearanceRecord) -> ClearanceSubject:
    return ClearanceSubject(
        mrn=row.mrn,
        lrn=row.lrn,
        agency=row.agency,
        declarant_eori=row.declarant_eori,
        status=row.status,
        lane=row.lane,
        outcome=row.outcome,
    )


class RescreenActivities:
    def __init__(self, *, db: Database) -> None:
        self._db = db
        self._indexes: OrderedDict[tuple[str, int], NameIndex] = OrderedDict()
        self._thresholds: dict[tuple[str, int], float] = {}

    def all(self) -> list[Callable[..., Any]]:
        return [self.rescreen_page, self.record_rescreen]

    async def _delta_index(self, list_name: str, revision: int) -> NameIndex:
        key = (list_name, revision)
        if key not in self._indexes:
            async with self._db.session() as session:
                _, records = await screening_lists.index_records(session, list_name, at=revision)
            self._indexes[key] = await asyncio.to_thread(NameIndex, records)
            while len(self._indexes) > KEPT_INDEXES:
                self._indexes.popitem(last=False)
        return self._indexes[key]

    async def _hit_entries(
        self, search: _DeltaSearch, list_name: str, revision: int
    ) -> dict[tuple[str, str], ListEntry]:
        ids = {hit.entry_id for hits in search.found.values() for hit in hits if hit.list == list_name}
        if not ids:
            return {}
        async with self._db.session() as session:
            found = await screening_lists.entries_as_of(session, list_name, ids, revision=revision)
        return {(list_name, entry_id): entry for entry_id, entry in found.items()}

    async def _threshold(self, rows: Iterable[ClearanceRecord]) -> dict[tuple[str, int], float]:
        """The review threshold of each SOP version's screening step (the one the clearance was screened at)."""
        missing = {(r.sop_name, r.sop_version) for r in rows} - self._thresholds.keys()
        if missing:
            async with self._db.session() as session:
                for name, version in missing:
                    published = await sops.get(session, name, version)
                    step = published.definition.step("screening") if published else None
                    threshold = step.review_threshold if isinstance(step, ScreeningStep) else DEFAULT_THRESHOLD
                    self._thresholds[(name, version)] = threshold
        return self._thresholds

    async def _authorities(self, countries: set[str]) -> dict[str, str]:
        """The export-control authority per country of the clearances' offices (a post-release alert is its task)."""
        found: dict[str, str] = {}
        async with self._db.session() as session:
            for country in sorted(countries):
                authority = await agencies.export_control_for(session, country)
                if authority is not None:
                    found[country] = authority.id
        return found

    @activity.defn(name=options.RESCREEN_PAGE)
    async def rescreen_page(self, inp: RescreenPageInput) -> RescreenPage:
        async with self._db.session() as session:
            rows, cursor = await rescreening.candidates(
                session, released_since=inp.released_since, cursor=inp.cursor, limit=inp.page_size
            )
        if not rows:
            return RescreenPage(next_cursor=cursor)
        index = await self._delta_index(inp.list, inp.revision)
        if index.size == 0:  # the import changed nothing (or a later one replaced its entries again)
            return RescreenPage()
        thresholds = await self._threshold(rows)
        authorities = await self._authorities({r.mrn[2:4] for r in rows})
        search = _DeltaSearch(index)

        def screen(selected: list[ClearanceRecord]) -> tuple[list[ClearanceHit], list[ClearanceRecord]]:
            hits, touched = [], []
            for row in selected:
                before = search.answered_hits
                threshold = thresholds[(row.sop_name, row.sop_version)]
                hit = screen_view(
                    row.view, index=search, list_name=inp.list, revision=inp.revision, threshold=threshold
                )
                if search.answered_hits > before:
                    touched.append(row)
                if hit is not None:
                    hits.append(
                        ClearanceHit(
                            mrn=row.mrn,
                            workflow_id=row.workflow_id,
                            agency=row.agency,
                            outcome=row.outcome,
                            subject=subject_of_record(row),
                            hit=hit,
                            alert_agency=authorities.get(row.mrn[2:4]),
                        )
                    )
            return hits, touched

        _, touched = await asyncio.to_thread(screen, rows)  # first pass: which parties hit which entries
        hits: list[ClearanceHit] = []
        if touched:
            search.entries = await self._hit_entries(search, inp.list, inp.revision)
            hits, _ = await asyncio.to_thread(screen, touched)
        log.info("rescreened_page", list=inp.list, revision=inp.revision, scanned=len(rows), hits=[h.mrn for h in hits])
        return RescreenPage(hits=hits, scanned=len(rows), next_cursor=cursor)

    @activity.defn(name=options.RECORD_RESCREEN)
    async def record_rescreen(self, inp: RecordRescreenInput) -> bool:
        async with self._db.writer() as session:
            return await rescreening.record_entries(session, mrn=inp.mrn, entries=inp.entries)
