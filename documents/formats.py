"""How the documents (and the SOP document) write a time: a leaf module, so `sop/` can use it without importing
the clearance's types."""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339(value: datetime | None) -> str:
    """UTC, second precision, `Z` suffix; a naive datetime is taken as UTC."""
    if value is None:
        return "—"
    value = value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
    if value.year < 1000:  # isoformat pads the year to four digits, strftime does not
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat(timespec="seconds") + "Z"  # the same text as strftime's, cheaper (a notice has dozens)
