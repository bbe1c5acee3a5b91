"""Restricted-party screening: CSL list parsing, name normalisation and a fast fuzzy name index.

Parse a list with :func:`parse_csl`, build a :class:`ScreeningIndex` from its entries and call
:meth:`ScreeningIndex.search` per party; each :class:`Match` carries a 0-100 score (see
:mod:`screening.index` for what the score means and the review threshold it is built for).
"""

from screening.composite import ListIndexes
from screening.index import Match, ScreeningIndex
from screening.lists import ListEntry, ListFormatError, ParsedList, RejectedRow, parse_csl
from screening.normalise import name_tokens, normalise_name

__all__ = [
    "ListEntry",
    "ListFormatError",
    "ListIndexes",
    "Match",
    "ParsedList",
    "RejectedRow",
    "ScreeningIndex",
    "name_tokens",
    "normalise_name",
    "parse_csl",
]
