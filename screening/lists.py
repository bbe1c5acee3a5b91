"""Parser for restricted-party lists in the US Consolidated Screening List (CSL) bulk format.

Two shapes are accepted, as published by trade.gov:

* JSON — ``{"results": [{"id", "name", "alt_names", "addresses": [{"address", "city", "state",
  "postal_code", "country"}], "programs", "source", "type", "entity_number", "remarks",
  "nationalities", "citizenships", ...}, ...]}``, or a bare JSON list of such objects;
* CSV — a header row (``_id,source,entity_number,type,programs,name,...,alt_names,citizenships,
  ...,nationalities,...``) with multi-valued cells separated by ``;`` and addresses written as
  ``street, city, state, postcode, CC`` strings separated by ``;``.

A bad row (no name, no id, wrong field types, duplicate id) is reported in
:attr:`ParsedList.rejected` with its 1-based data row number and a reason; it never stops the import.
A file that is not a list at all raises :class:`ListFormatError`.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, BinaryIO, TextIO

from screening.entries import EntryDetails, ListEntry, ParsedList, RejectedRow, country_code
from screening.json_stream import JsonListError, iter_results

__all__ = [
    "EntryDetails",
    "ListEntry",
    "ListFormatError",
    "ParsedList",
    "RejectedRow",
    "country_code",
    "parse_csl",
    "parse_csl_file",
]


MAX_ENTRY_ID = 120  # the store's column (a longer id would be refused by PostgreSQL, not by us)


class ListFormatError(ValueError):
    """The content is not a screening list in a format we read."""


class _RowError(ValueError):
    pass


def parse_csl(
    content: bytes,
    *,
    list_name: str,
    filename: str | None = None,
    content_type: str | None = None,
) -> ParsedList:
    """Parse a CSL JSON or CSV file into entries of the list called ``list_name``."""
    return parse_csl_file(io.BytesIO(content), list_name=list_name, filename=filename, content_type=content_type)


def parse_csl_file(
    file: BinaryIO,
    *,
    list_name: str,
    filename: str | None = None,
    content_type: str | None = None,
) -> ParsedList:
    """Parse a CSL JSON or CSV file read from ``file`` (seekable), one row at a time: a file of hundreds of
    megabytes costs its entries, not its text. UTF-8 (with or without BOM); otherwise read as Windows-1252."""
    start = file.tell()
    try:
        return _parse_with(file, "utf-8-sig", list_name, filename, content_type)
    except UnicodeDecodeError:
        file.seek(start)
        return _parse_with(file, "cp1252", list_name, filename, content_type)


def _parse_with(
    file: BinaryIO, encoding: str, list_name: str, filename: str | None, content_type: str | None
) -> ParsedList:
    errors = "strict" if encoding.startswith("utf") else "replace"
    text = io.TextIOWrapper(file, encoding=encoding, errors=errors, newline="")  # type: ignore[type-var]
    try:
        return _parse_text(text, list_name, filename, content_type)
    finally:
        text.detach()  # the caller's file stays open


def _parse_text(text: TextIO, list_name: str, filename: str | None, content_type: str | None) -> ParsedList:
    head = _head(text)
    if not head.strip():
        raise ListFormatError("the list file is empty")
    is_json = _is_json(filename, content_type, head.lstrip()[0])
    rows = _json_rows(_Prefixed(head, text)) if is_json else _csv_rows(head, text)

    entries: list[ListEntry] = []
    rejected: list[RejectedRow] = []
    first_row_of: dict[str, int] = {}
    for number, row in rows:
        try:
            entry = _entry(row, list_name)
        except _RowError as exc:
            rejected.append(RejectedRow(row=number, reason=str(exc)))
            continue
        if entry.entry_id in first_row_of:
            reason = f"duplicate id {entry.entry_id!r} (first seen in row {first_row_of[entry.entry_id]})"
            rejected.append(RejectedRow(row=number, reason=reason))
            continue
        first_row_of[entry.entry_id] = number
        entries.append(entry)
    if not entries and rejected:
        detail = "; ".join(f"row {r.row}: {r.reason}" for r in rejected[:3])
        raise ListFormatError(f"no valid entries in the list ({len(rejected)} rejected rows; {detail})")
    return ParsedList.model_construct(entries=entries, rejected=rejected)


# --- format detection and row readers ---------------------------------------------------------------


def _head(text: TextIO) -> str:
    """The start of the text, up to and including its first character that is not whitespace."""
    head = ""
    while True:
        chunk = text.read(65536)
        head += chunk
        if not chunk or head.strip():
            return head


class _Prefixed:
    """A text stream whose first characters were already read (`head`)."""

    def __init__(self, head: str, rest: TextIO) -> None:
        self._head, self._rest = head, rest

    def read(self, size: int = -1) -> str:
        if self._head:
            head, self._head = self._head, ""
            return head
        return self._rest.read(size)


def _is_json(filename: str | None, content_type: str | None, first_char: str) -> bool:
    if filename:
        lowered = filename.lower()
        if lowered.endswith(".json"):
            return True
        if lowered.endswith((".csv", ".tsv", ".txt")):
            return False
    if content_type:
        lowered = content_type.lower()
        if "json" in lowered:
            return True
        if "csv" in lowered or "tab-separated" in lowered:
            return False
    return first_char in "{["


def _json_rows(text: _Prefixed) -> Iterator[tuple[int, Any]]:
    try:
        yield from enumerate(iter_results(text), start=1)  # type: ignore[arg-type]
    except JsonListError as exc:
        raise ListFormatError(str(exc)) from None


def _csv_rows(head: str, text: TextIO) -> Iterator[tuple[int, Any]]:
    lines = io.StringIO(head.lstrip() + text.readline())
    first_line = lines.readline()
    lines.seek(0)
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(itertools.chain(lines, text), delimiter=delimiter)
    try:
        header = [column.strip().lower() for column in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise ListFormatError(f"not a CSV list: {exc}") from None
    if "name" not in header:
        raise ListFormatError('not a CSL list: no JSON, and no CSV header with a "name" column')
    number = 0
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            number += 1
            if len(cells) > len(header):
                yield number, _RowError(f"{len(cells)} cells but the header has {len(header)} columns")
                continue
            yield number, _csv_record(dict(zip(header, cells, strict=False)))
    except csv.Error as exc:
        raise ListFormatError(f"malformed CSV after data row {number}: {exc}") from None


def _csv_record(cells: Mapping[str, str]) -> dict[str, Any]:
    """A CSV row in the shape of a CSL JSON object."""

    def many(column: str) -> list[str]:
        return [part for part in (p.strip() for p in cells.get(column, "").split(";")) if part]

    return {
        "id": cells.get("_id") or cells.get("id"),
        "entity_number": cells.get("entity_number"),
        "name": cells.get("name"),
        "alt_names": many("alt_names"),
        "addresses": [_csv_address(text) for text in many("addresses")],
        "programs": many("programs"),
        "source": cells.get("source"),
        "type": cells.get("type"),
        "remarks": cells.get("remarks"),
        "nationalities": many("nationalities"),
        "citizenships": many("citizenships"),
    }


def _csv_address(text: str) -> dict[str, str | None]:
    parts = [p.strip() for p in text.split(",")]
    country = None
    if len(parts[-1]) == 2 and parts[-1].isalpha():
        country = parts.pop().upper()
    street = ", ".join(p for p in parts if p) or None
    return {"address": street, "city": None, "state": None, "postal_code": None, "country": country}


# --- one entry ---------------------------------------------------------------------------------------


def _entry(row: Any, list_name: str) -> ListEntry:
    if isinstance(row, _RowError):
        raise row
    if not isinstance(row, dict):
        raise _RowError(f"expected an object, got {type(row).__name__}")
    name = _text(row, "name")
    if not name:
        raise _RowError("missing name")
    entry_id = _text(row, "id") or _text(row, "_id")
    if not entry_id:
        raise _RowError(f"missing id (name {name!r})")
    if len(entry_id) > MAX_ENTRY_ID:
        raise _RowError(f"id longer than {MAX_ENTRY_ID} characters (name {name!r})")
    addresses = _addresses(row.get("addresses"))
    countries = _unique(
        code
        for code in (
            *(country_code(a.get("country")) for a in addresses),
            *(country_code(c) for c in _strings(row, "nationalities")),
            *(country_code(c) for c in _strings(row, "citizenships")),
        )
        if code
    )
    folded_name = name.casefold()
    alt_names = _unique(_strings(row, "alt_names"), key=str.casefold)
    # every field is checked above: construct without validating again (a tenth of the cost on big lists)
    return ListEntry.model_construct(
        list=list_name,
        entry_id=entry_id,
        name=name,
        alt_names=[alt for alt in alt_names if alt.casefold() != folded_name],
        countries=countries,
        addresses=addresses,
        programs=_unique(_strings(row, "programs")),
        source=_text(row, "source") or "",
        entity_type=_text(row, "type"),
        remarks=_text(row, "remarks"),
        details=_details(row),
    )


_DETAIL_TEXTS = (
    "title",
    "entity_number",
    "start_date",
    "end_date",
    "federal_register_notice",
    "license_requirement",
    "license_policy",
    "source_list_url",
)
_DETAIL_LISTS = ("nationalities", "citizenships", "dates_of_birth", "places_of_birth")


def _loose(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _loose_many(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    values = value.split(";") if isinstance(value, str) else value if isinstance(value, list) else ()
    return tuple(t for t in map(_loose, values) if t)


def _details(row: Mapping[str, Any]) -> EntryDetails | None:
    """The entry's other attributes, read leniently (a malformed one is left out, never rejects the entry).
    Built without validating again: every field is read into its type here (big lists import ten times faster)."""
    fields: dict[str, Any] = {}
    for name in _DETAIL_TEXTS:
        if (text := _loose(row.get(name))) is not None:
            fields[name] = text
    for name in _DETAIL_LISTS:
        if values := _loose_many(row.get(name)):
            fields[name] = values
    ids = row.get("ids")
    if isinstance(ids, list):
        identifiers = []
        for item in ids:
            if isinstance(item, Mapping):
                text = " ".join(t for t in (_loose(item.get("type")), _loose(item.get("number"))) if t)
                country = _loose(item.get("country"))
                if text:
                    identifiers.append(f"{text} ({country})" if country else text)
        if identifiers:
            fields["identifiers"] = tuple(identifiers)
    return EntryDetails.model_construct(**fields) if fields else None


def _text(row: Mapping[str, Any], field: str) -> str | None:
    value = row.get(field)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise _RowError(f"{field} must be a string, got {type(value).__name__}")
    return value.strip() or None


def _strings(row: Mapping[str, Any], field: str) -> list[str]:
    value = row.get(field)
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(";")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _RowError(f"{field} must be a list of strings")
    return [v.strip() for v in value if v.strip()]


def _addresses(value: Any) -> list[dict[str, str | None]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(a, dict) for a in value):
        raise _RowError("addresses must be a list of objects")
    fields = ("address", "city", "state", "postal_code", "country")
    addresses = []
    for address in value:
        cleaned: dict[str, str | None] = {}
        for field in fields:
            item = address.get(field)
            if item is not None and not isinstance(item, str | int | float):
                raise _RowError(f"addresses: {field} must be a string")
            cleaned[field] = (str(item).strip() or None) if item is not None else None
        addresses.append(cleaned)
    return addresses


def _unique(values: Iterable[str], key: Any = None) -> list[str]:
    seen: set[str] = set()
    kept = []
    for value in values:
        marker = key(value) if key else value
        if marker not in seen:
            seen.add(marker)
            kept.append(value)
    return kept
