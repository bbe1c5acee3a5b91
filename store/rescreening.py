"""Read models a list import re-screens: clearances without an outcome, and those released since a moment.

Paged by (accepted_at, mrn), oldest first, with the same opaque cursor as the listing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.clearance import RescreenEntry
from store.clearances import decode_cursor, encode_cursor
from store.models import ClearanceRecord

CONCLUDED = ("completed", "invalidated")


async def candidates(
    session: AsyncSession, *, released_since: datetime, cursor: str | None, limit: int
) -> tuple[list[ClearanceRecord], str | None]:
    """Clearances that have not concluded, or were released at or after `released_since`; raises ValueError
    for a cursor this service did not issue."""
    query = select(ClearanceRecord).where(
        or_(
            col(ClearanceRecord.status).not_in(CONCLUDED),
            and_(col(ClearanceRecord.outcome) == "released", col(ClearanceRecord.updated_at) >= released_since),
        )
    )
    if cursor:
        at, mrn = decode_cursor(cursor)
        query = query.where(
            or_(
                col(ClearanceRecord.accepted_at) > at,
                and_(col(ClearanceRecord.accepted_at) == at, col(ClearanceRecord.mrn) > mrn),
            )
        )
    query = query.order_by(col(ClearanceRecord.accepted_at), col(ClearanceRecord.mrn)).limit(limit + 1)
    rows = list((await session.exec(query)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].accepted_at, rows[-1].mrn) if more else None


async def record_entries(session: AsyncSession, *, mrn: str, entries: list[RescreenEntry]) -> bool:
    """Add or update (by list, revision, party) entries of a concluded clearance's `rescreening` list.

    Only for clearances whose workflow has ended, so the read model has no other writer any more; idempotent."""
    row = await session.get(ClearanceRecord, mrn)
    if row is None or row.status not in CONCLUDED:
        return False
    view = dict(row.view)
    current = list(view.get("rescreening", []))
    for entry in entries:
        new = entry.model_dump(mode="json")
        same = [i for i, e in enumerate(current) if (e["list"], e["revision"], e["party"]) == _key(entry)]
        if same:
            current[same[0]] = new
        else:
            current.append(new)
    view["rescreening"] = current
    row.view = view
    session.add(row)
    await session.commit()
    return True


def _key(entry: RescreenEntry) -> tuple[str, int, str]:
    return (entry.list, entry.revision, entry.party)
