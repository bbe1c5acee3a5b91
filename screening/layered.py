"""Catching a big list's index up to an import that changed a few of its entries without rebuilding it: the index
built for an earlier revision stays as it is, the entries changed or removed since are hidden in it, and the added
and changed ones are indexed in a small overlay weighed beside it (``NameIndex(..., beside=base)``), so a token
weighs about as it would in a rebuilt index. The overlay grows with each patch; past ``MAX_PATCH`` entries (or a
twentieth of the list) the list is rebuilt instead."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from screening.entries import IndexedEntry
from screening.index import Hit, NameIndex

__all__ = ["LayeredIndex", "patched"]

MAX_PATCH = 5000  # overlay entries plus hidden ones beyond which a list's index is rebuilt


class LayeredIndex:
    """A base index with some entries hidden and an overlay of added or changed ones; immutable."""

    def __init__(self, base: NameIndex, hidden: frozenset[str], records: tuple[IndexedEntry, ...]) -> None:
        self.base = base
        self.hidden = hidden  # ids of base entries changed or removed since the base was built
        self.records = records  # what the overlay indexes (few: kept to patch again)
        self._mask = np.fromiter((i in hidden for i in base.entry_ids), dtype=bool, count=base.size)
        self.overlay = NameIndex(records, beside=base)
        hidden_names = int(self._mask[base._name_entry].sum()) if base.size else 0
        self._names = len(base) - hidden_names + len(self.overlay)

    def __len__(self) -> int:
        return self._names

    @property
    def size(self) -> int:
        return self.base.size - int(self._mask.sum()) + self.overlay.size

    @property
    def patch_size(self) -> int:
        return len(self.hidden) + len(self.records)

    def hits(self, name: str, country: str | None = None, *, limit: int = 10, min_score: float = 80.0) -> list[Hit]:
        found = self.base.hits(name, country, limit=limit, min_score=min_score, hidden=self._mask)
        found += self.overlay.hits(name, country, limit=limit, min_score=min_score)
        found.sort(key=lambda h: -h.score)  # stable: on equal scores the base's first
        return found[:limit]


def patched(index: NameIndex | LayeredIndex, changed: Iterable[IndexedEntry], present: set[str]) -> LayeredIndex | None:
    """``index`` caught up with the entries added or changed since it was built (``changed``) and the ids the list
    holds now (``present``: the others were removed); None when the patch would be too large, so rebuild."""
    base = index.base if isinstance(index, LayeredIndex) else index
    previous = index.records if isinstance(index, LayeredIndex) else ()
    hidden = set(index.hidden) if isinstance(index, LayeredIndex) else set()
    changed = [e for e in changed if e.entry_id in present]
    changed_ids = {e.entry_id for e in changed}
    removed = {i for i in base.entry_ids if i not in present}
    records = (*(e for e in previous if e.entry_id in present and e.entry_id not in changed_ids), *changed)
    hidden |= removed | (changed_ids & set(base.entry_ids) if changed_ids else set())
    if len(hidden) + len(records) > min(MAX_PATCH, max(500, base.size // 20)):
        return None
    return LayeredIndex(base, frozenset(hidden), records)
