"""Restricted-party screening: CSL list parsing, name normalisation and a fast fuzzy name index.

Parse a list with :func:`parse_csl`, build a :class:`ScreeningIndex` from its entries and call
:meth:`ScreeningIndex.search` per party; each :class:`Match` carries a 0-100 score (see
``screening/README.md`` for what the score means and the review threshold it is built for). A process that
keeps many entries holds the compact :class:`NameIndex` instead and reads the few matched entries' records
where they are kept (:func:`matches_of`).
"""

from screening.composite import ListIndexes
from screening.entries import IndexedEntry
from screening.index import Hit, Match, NameIndex
from screening.lists import ListEntry, ListFormatError, ParsedList, RejectedRow, parse_csl
from screening.matches import ScreeningIndex, matches_of
from screening.normalise import name_tokens, normalise_name

__all__ = [
    "Hit",
    "IndexedEntry",
    "ListEntry",
    "ListFormatError",
    "ListIndexes",
    "Match",
    "NameIndex",
    "ParsedList",
    "RejectedRow",
    "ScreeningIndex",
    "matches_of",
    "name_tokens",
    "normalise_name",
    "parse_csl",
]
