"""One screening index per list, composed: an import rebuilds (or patches, see :mod:`screening.layered`) only its
own list's index.

``ListIndexes`` is immutable: ``with_list`` and ``without_list`` return a new value that shares every
other list's :class:`~screening.index.ScreeningIndex` object, so a process can build the new list's index
off its event loop and swap the whole value in one assignment, while searches in flight keep the value
they started with.

Scores of different lists can be set side by side: every index weighs a token by the same background
model blended with its own counts (:mod:`screening.background`), so a 50-entry list's tokens weigh as
they would in a large list, and a match in the small list means what it means in the large one.

Being immutable, a value remembers the hits of the names it was last asked for (``HITS_REMEMBERED``): the same
exporter, declarant and regular consignee come back declaration after declaration, and against the same lists
their hits are the same. A list import makes a new value, which starts with nothing remembered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Protocol

from screening.index import Hit, Match
from screening.lists import ListEntry
from screening.matches import ScreeningIndex

__all__ = ["HITS_REMEMBERED", "ListIndex", "ListIndexes"]

HITS_REMEMBERED = 8192  # names whose hits a value keeps (all forgotten at once when full)


class ListIndex(Protocol):
    """What a list's index answers: ``NameIndex`` (compact), ``ScreeningIndex`` (entries in memory) or
    ``LayeredIndex`` (a compact index patched with an import's changes)."""

    def __len__(self) -> int: ...

    @property
    def size(self) -> int: ...

    def hits(self, name: str, country: str | None = None, *, limit: int = 10, min_score: float = 80.0) -> list[Hit]: ...


class ListIndexes:
    """An index and its revision per list name; immutable."""

    __slots__ = ("_indexes", "_recent", "_revisions")

    def __init__(self, indexes: Mapping[str, tuple[int, ListIndex]] | None = None) -> None:
        items = dict(indexes or {})
        self._indexes: Mapping[str, ListIndex] = MappingProxyType({n: i for n, (_, i) in items.items()})
        self._revisions: Mapping[str, int] = MappingProxyType({n: r for n, (r, _) in items.items()})
        self._recent: dict[tuple[str, str | None, int, float], tuple[Hit, ...]] = {}

    @classmethod
    def empty(cls) -> ListIndexes:
        return cls()

    def with_list(self, name: str, revision: int, entries: Iterable[ListEntry]) -> ListIndexes:
        """This value with list ``name`` at ``revision`` indexed from ``entries``, kept in memory (replacing an older
        one); only that list's index is built, every other list's index object is reused."""
        return self.with_index(name, revision, ScreeningIndex(entries))

    def with_index(self, name: str, revision: int, index: ListIndex) -> ListIndexes:
        """As ``with_list``, with an index already built (e.g. a compact one, in a thread)."""
        items = {n: (self._revisions[n], i) for n, i in self._indexes.items()}
        items[name] = (revision, index)
        return ListIndexes(items)

    def without_list(self, name: str) -> ListIndexes:
        """This value without list ``name`` (the same value when it is not there)."""
        if name not in self._indexes:
            return self
        return ListIndexes({n: (self._revisions[n], i) for n, i in self._indexes.items() if n != name})

    @property
    def revisions(self) -> dict[str, int]:
        """The revision of each list indexed."""
        return dict(self._revisions)

    @property
    def indexes(self) -> Mapping[str, ListIndex]:
        """The index of each list (read-only)."""
        return self._indexes

    def __len__(self) -> int:
        """Names and aliases indexed over all lists."""
        return sum(len(index) for index in self._indexes.values())

    @property
    def size(self) -> int:
        """List entries over all lists."""
        return sum(index.size for index in self._indexes.values())

    def entry(self, list_name: str, entry_id: str) -> ListEntry | None:
        """The entry of a list whose index keeps its entries in memory (None for a compact one)."""
        index = self._indexes.get(list_name)
        return index.entry(list_name, entry_id) if isinstance(index, ScreeningIndex) else None

    def hits(self, name: str, country: str | None = None, *, limit: int = 10, min_score: float = 80.0) -> list[Hit]:
        """Entries of every list whose name or an alias resembles ``name``, best first (on equal scores in
        list-name order), as ``NameIndex.hits`` scores them."""
        if limit <= 0:
            return []
        key = (name, country, limit, min_score)
        remembered = self._recent.get(key)
        if remembered is None:
            found: list[Hit] = []
            for list_name in sorted(self._indexes):
                found.extend(self._indexes[list_name].hits(name, country, limit=limit, min_score=min_score))
            found.sort(key=lambda h: -h.score)  # stable: equal scores keep list order, then each index's order
            remembered = tuple(found[:limit])  # hits are frozen: shared safely
            if len(self._recent) >= HITS_REMEMBERED:
                self._recent.clear()  # (no eviction order to keep: safe beside a search in another thread)
            self._recent[key] = remembered
        return list(remembered)

    def search(self, name: str, country: str | None = None, *, limit: int = 10, min_score: float = 80.0) -> list[Match]:
        """``hits`` as matches, for lists whose index keeps its entries in memory (``with_list``); a compact
        index's entries are read from where they are kept (``adapters/screening.py``)."""
        if limit <= 0:
            return []
        found: list[Match] = []
        for list_name in sorted(self._indexes):
            index = self._indexes[list_name]
            if not isinstance(index, ScreeningIndex):
                raise LookupError(f"list {list_name!r} is indexed without its entries: resolve its hits elsewhere")
            found.extend(index.search(name, country, limit=limit, min_score=min_score))
        found.sort(key=lambda m: -m.score)  # as in hits
        return found[:limit]
