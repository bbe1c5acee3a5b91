"""How the documents (and the SOP document) write a time: a leaf module, so `sop/` can use it without importing
the clearance's types."""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339(value: datetime | None) -> str:
    """UTC, second precision, `Z` suffix; a naive datetime is taken as UTC."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
