"""What a restricted-party list holds, whatever file it came from: its entries, the rows refused, and the country
codes read from addresses, nationalities and citizenships (ISO 3166-1 alpha-2)."""

from __future__ import annotations

import builtins  # the field "list" shadows the builtin inside ListEntry
from functools import lru_cache
from typing import NamedTuple

import pycountry
from pydantic import BaseModel, ConfigDict

__all__ = ["EntryDetails", "IndexedEntry", "ListEntry", "Match", "ParsedList", "RejectedRow", "country_code"]


class EntryDetails(BaseModel):
    """What else the list says about a party, for the officer who compares it with a declared one (identifiers,
    dates, the licence policy); screening itself never reads it. None on an entry whose list gives none of it."""

    model_config = ConfigDict(frozen=True)

    title: str | None = None
    entity_number: str | None = None
    identifiers: tuple[str, ...] = ()  # "type number (country)"
    nationalities: tuple[str, ...] = ()
    citizenships: tuple[str, ...] = ()
    dates_of_birth: tuple[str, ...] = ()
    places_of_birth: tuple[str, ...] = ()
    start_date: str | None = None
    end_date: str | None = None
    federal_register_notice: str | None = None
    license_requirement: str | None = None
    license_policy: str | None = None
    source_list_url: str | None = None


class ListEntry(BaseModel):
    """One restricted party: its primary name, aliases and what identifies it."""

    model_config = ConfigDict(frozen=True)

    list: str
    entry_id: str
    name: str
    alt_names: builtins.list[str] = []
    countries: builtins.list[str] = []  # ISO 3166-1 alpha-2, from addresses, nationalities and citizenships
    addresses: builtins.list[dict[str, str | None]] = []
    programs: builtins.list[str] = []
    source: str = ""
    entity_type: str | None = None
    remarks: str | None = None
    details: EntryDetails | None = None


class IndexedEntry(NamedTuple):
    """What matching reads of an entry: its names and countries. An index is built from these (or from
    ``ListEntry`` objects, which have the same fields) and keeps none of them whole."""

    list: str
    entry_id: str
    name: str
    alt_names: builtins.list[str]
    countries: builtins.list[str]

    @classmethod
    def of(cls, entry: ListEntry | IndexedEntry) -> IndexedEntry:
        if isinstance(entry, IndexedEntry):
            return entry
        return cls(entry.list, entry.entry_id, entry.name, entry.alt_names, entry.countries)


class Match(BaseModel):
    """A list entry whose name or alias resembles the screened name."""

    model_config = ConfigDict(frozen=True)

    list: str
    entry_id: str
    name: str  # the entry's primary name
    score: float  # 0-100, see screening/README.md
    matched_alias: str | None = None  # the alias that matched; None when the primary name matched
    programs: builtins.list[str] = []
    country: str | None = None  # the entry's first country


class RejectedRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    row: int  # 1-based data row (CSV: first row after the header is 1; JSON: first object is 1)
    reason: str


class ParsedList(BaseModel):
    model_config = ConfigDict(frozen=True)

    entries: list[ListEntry]
    rejected: list[RejectedRow] = []


# Common names that pycountry's lookup does not know.
_COUNTRY_ALIASES = {
    "russia": "RU",
    "uae": "AE",
    "turkey": "TR",
    "burma": "MM",
    "korea, north": "KP",
    "korea, south": "KR",
    "south korea": "KR",
    "dprk": "KP",
    "iran": "IR",
    "syria": "SY",
    "laos": "LA",
    "moldova": "MD",
    "venezuela": "VE",
    "bolivia": "BO",
    "tanzania": "TZ",
    "czech republic": "CZ",
    "kosovo": "XK",
    "palestine": "PS",
    "macau": "MO",
    "hong kong": "HK",
    "united states": "US",
    "usa": "US",
    "uk": "GB",
    "united kingdom": "GB",
}


@lru_cache(maxsize=1024)
def country_code(value: str | None) -> str | None:
    """ISO alpha-2 code for a code, alpha-3 code or country name; None when unknown."""
    if not value:
        return None
    text = value.strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    alias = _COUNTRY_ALIASES.get(text.casefold())
    if alias:
        return alias
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None
