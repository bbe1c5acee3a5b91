"""From what an index found to what an officer reads: a :class:`~screening.index.Hit` becomes a :class:`Match`
with the entry's own record (its primary name, the alias that matched, programmes, country).

A process keeps only the compact :class:`~screening.index.NameIndex`; the records of the few entries that matched
are read where they are kept: the database for the engine's lists (``adapters/screening.py``), or memory for an
index built from entries in hand (:class:`ScreeningIndex`: tests, benchmarks, small lists)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rapidfuzz import fuzz

from screening.entries import ListEntry, Match
from screening.index import Hit, NameIndex

__all__ = ["ScreeningIndex", "matches_of"]


def _alias_like(query: str, entry: ListEntry, texts: tuple[int, ...]) -> str | None:
    """The alias that matched: None when the primary name is among the texts that normalise to the matched name,
    else the one written most like the query."""
    if -1 in texts:
        return None
    aliases = [entry.alt_names[i] for i in texts if i < len(entry.alt_names)]
    if len(aliases) <= 1:
        return aliases[0] if aliases else None
    folded = query.casefold()
    return max(aliases, key=lambda text: fuzz.ratio(folded, text.casefold()))


def matches_of(query: str, hits: Iterable[Hit], entries: Mapping[tuple[str, str], ListEntry]) -> list[Match]:
    """The hits as matches, in their order, from the entries' records (a hit whose entry is not given is left out:
    the caller decides what a missing record means)."""
    matches: list[Match] = []
    for hit in hits:
        entry = entries.get((hit.list, hit.entry_id))
        if entry is None:
            continue
        matches.append(
            Match(
                list=hit.list,
                entry_id=hit.entry_id,
                name=entry.name,
                score=hit.score,
                matched_alias=_alias_like(query, entry, hit.texts),
                programs=list(entry.programs),
                country=entry.countries[0] if entry.countries else None,
            )
        )
    return matches


class ScreeningIndex:
    """A :class:`NameIndex` with its entries kept in memory, searched for whole matches."""

    def __init__(self, entries: Iterable[ListEntry]) -> None:
        self._entries: tuple[ListEntry, ...] = tuple(entries)
        self._by_key = {(e.list, e.entry_id): e for e in self._entries}
        self.names = NameIndex(self._entries)

    def __len__(self) -> int:
        """Number of names and aliases indexed (after normalisation, duplicates within an entry dropped)."""
        return len(self.names)

    @property
    def size(self) -> int:
        """Number of list entries."""
        return self.names.size

    @property
    def entries(self) -> tuple[ListEntry, ...]:
        return self._entries

    def entry(self, list_name: str, entry_id: str) -> ListEntry | None:
        return self._by_key.get((list_name, entry_id))

    def hits(self, name: str, country: str | None = None, *, limit: int = 10, min_score: float = 80.0) -> list[Hit]:
        return self.names.hits(name, country, limit=limit, min_score=min_score)

    def search(self, name: str, country: str | None = None, *, limit: int = 10, min_score: float = 80.0) -> list[Match]:
        """Entries whose name or an alias resembles ``name``, best first (``NameIndex.hits``), as matches."""
        return matches_of(name, self.hits(name, country, limit=limit, min_score=min_score), self._by_key)
