"""One fuzzy index per restricted-party list, so an import rebuilds only the list it changed.

Immutable: `with_list` and `without_list` return a new object, so a process swaps its whole set of indexes in one
assignment and a search in progress keeps the set it started with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from screening.index import Match, ScreeningIndex
from screening.lists import ListEntry

__all__ = ["ListIndexes"]


class ListIndexes:
    def __init__(self, indexes: Mapping[str, tuple[int, ScreeningIndex]]) -> None:
        self._indexes = MappingProxyType(dict(indexes))

    @classmethod
    def empty(cls) -> ListIndexes:
        return cls({})

    def with_list(self, name: str, revision: int, entries: Iterable[ListEntry]) -> ListIndexes:
        """A copy with the list `name` indexed at `revision` (builds its index: CPU work, run it in a thread)."""
        return ListIndexes({**self._indexes, name: (revision, ScreeningIndex(entries))})

    def without_list(self, name: str) -> ListIndexes:
        return ListIndexes({k: v for k, v in self._indexes.items() if k != name})

    @property
    def revisions(self) -> dict[str, int]:
        return {name: revision for name, (revision, _) in self._indexes.items()}

    def index(self, name: str) -> ScreeningIndex | None:
        held = self._indexes.get(name)
        return held[1] if held else None

    def search(self, name: str, country: str | None = None, *, limit: int = 10, min_score: float = 80.0) -> list[Match]:
        """The best matches over every list, best first (ties: by list name, as each list ranks them)."""
        found: list[Match] = []
        for list_name in sorted(self._indexes):
            found.extend(self._indexes[list_name][1].search(name, country, limit=limit, min_score=min_score))
        found.sort(key=lambda m: -m.score)  # stable: keeps each list's own order on ties
        return found[:limit]
