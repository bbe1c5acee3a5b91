"""Restricted-party lists: an import replaces one list atomically and bumps its revision, which tells every
process holding a screening index that it must rebuild."""

from __future__ import annotations

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from screening.lists import ListEntry
from store.models import ScreeningList, ScreeningListEntry, utcnow


async def replace_list(session: AsyncSession, *, name: str, entries: list[ListEntry], by: str) -> tuple[int, int]:
    """Replace the list's entries in one transaction; returns (imported, updated) counted by entry id."""
    before = set((await session.exec(select(ScreeningListEntry.entry_id).where(ScreeningListEntry.list == name))).all())
    unique = {e.entry_id: e for e in entries}
    revision = (await session.exec(select(func.max(ScreeningList.revision)))).one() or 0
    await session.exec(delete(ScreeningListEntry).where(col(ScreeningListEntry.list) == name))  # type: ignore[call-overload]
    session.add_all(
        ScreeningListEntry(
            list=name,
            entry_id=e.entry_id,
            name=e.name[:500],
            data=e.model_copy(update={"list": name}).model_dump(mode="json"),
        )
        for e in unique.values()
    )
    record = await session.get(ScreeningList, name) or ScreeningList(name=name)
    record.revision, record.entry_count = revision + 1, len(unique)
    record.imported_at, record.imported_by = utcnow(), by
    session.add(record)
    await session.commit()
    updated = len(before & unique.keys())
    return len(unique) - updated, updated


async def revision(session: AsyncSession) -> tuple[int, int]:
    """(highest revision, number of lists): changes whenever any list is imported."""
    row = (await session.exec(select(func.max(ScreeningList.revision), func.count()).select_from(ScreeningList))).one()
    return (row[0] or 0, row[1])


async def all_entries(session: AsyncSession) -> list[ListEntry]:
    rows = (await session.exec(select(ScreeningListEntry.data))).all()
    return [ListEntry.model_validate(data) for data in rows]


async def lists(session: AsyncSession) -> list[ScreeningList]:
    return list((await session.exec(select(ScreeningList).order_by(col(ScreeningList.name)))).all())
