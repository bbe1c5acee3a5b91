"""Restricted-party lists: an import replaces one list atomically and gives it a new revision, which tells every
process holding a screening index that it must rebuild that list. Each entry keeps the revision that added or last
changed it and a hash of its content, so an import knows which entries are new or changed (delta screening)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from screening.lists import ListEntry
from store.models import ScreeningList, ScreeningListEntry, utcnow


@dataclass(frozen=True)
class ImportResult:
    """What a list import changed. `changed` holds the entries that are new or whose content changed."""

    list: str
    revision: int
    imported: int  # entries not in the list before
    updated: int  # entries already in the list (changed or not)
    removed: int
    changed: list[ListEntry] = field(default_factory=list)


def content_hash(entry: ListEntry) -> str:
    """Fingerprint of everything that identifies a listed party (not the list name it was imported under)."""
    # An entry without details hashes as it did before entries had them.
    data = entry.model_dump(mode="json", exclude={"list"} if entry.details else {"list", "details"})
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


async def replace_list(session: AsyncSession, *, name: str, entries: list[ListEntry], by: str) -> ImportResult:
    """Replace the list's entries in one transaction."""
    before = {
        entry_id: (revision, digest)
        for entry_id, revision, digest in (
            await session.exec(
                select(ScreeningListEntry.entry_id, ScreeningListEntry.revision, ScreeningListEntry.content_hash).where(
                    ScreeningListEntry.list == name
                )
            )
        ).all()
    }
    unique = {e.entry_id: e.model_copy(update={"list": name}) for e in entries}
    revision = ((await session.exec(select(func.max(ScreeningList.revision)))).one() or 0) + 1
    await session.exec(delete(ScreeningListEntry).where(col(ScreeningListEntry.list) == name))  # type: ignore[call-overload]
    changed: list[ListEntry] = []
    rows = []
    for entry in unique.values():
        digest = content_hash(entry)
        previous = before.get(entry.entry_id)
        if previous is not None and previous[1] == digest:
            entry_revision = previous[0]
        else:
            entry_revision = revision
            changed.append(entry)
        rows.append(
            ScreeningListEntry(
                list=name,
                entry_id=entry.entry_id,
                name=entry.name[:500],
                revision=entry_revision,
                content_hash=digest,
                data=entry.model_dump(mode="json"),
            )
        )
    session.add_all(rows)
    record = await session.get(ScreeningList, name) or ScreeningList(name=name)
    record.revision, record.entry_count = revision, len(unique)
    record.imported_at, record.imported_by = utcnow(), by
    session.add(record)
    await session.commit()
    updated = len(before.keys() & unique.keys())
    return ImportResult(
        list=name,
        revision=revision,
        imported=len(unique) - updated,
        updated=updated,
        removed=len(before.keys() - unique.keys()),
        changed=changed,
    )


async def revision(session: AsyncSession) -> tuple[int, int]:
    """(highest revision, number of lists): changes whenever any list is imported."""
    row = (await session.exec(select(func.max(ScreeningList.revision), func.count()).select_from(ScreeningList))).one()
    return (row[0] or 0, row[1])


async def revisions(session: AsyncSession) -> dict[str, int]:
    """The current revision of every list, by list name."""
    return dict((await session.exec(select(ScreeningList.name, ScreeningList.revision))).all())


async def all_entries(session: AsyncSession) -> list[ListEntry]:
    rows = (await session.exec(select(ScreeningListEntry.data))).all()
    return [ListEntry.model_validate(data) for data in rows]


async def changed_entries(session: AsyncSession, *, name: str, revision: int) -> list[ListEntry]:
    """The entries of a list that its import at `revision` added or changed (empty once a later import replaced
    them again with other content)."""
    rows = (
        await session.exec(
            select(ScreeningListEntry.data).where(
                ScreeningListEntry.list == name, ScreeningListEntry.revision == revision
            )
        )
    ).all()
    return [ListEntry.model_validate(data) for data in rows]


async def get_entry(session: AsyncSession, list_name: str, entry_id: str) -> ListEntry | None:
    """One listed entry with everything the list says about it (a cross-list read, for officers' evidence)."""
    data = (
        await session.exec(
            select(ScreeningListEntry.data).where(
                ScreeningListEntry.list == list_name, ScreeningListEntry.entry_id == entry_id
            )
        )
    ).first()
    return None if data is None else ListEntry.model_validate(data)


async def get_list(session: AsyncSession, name: str) -> ScreeningList | None:
    return await session.get(ScreeningList, name)


async def lists(session: AsyncSession) -> list[ScreeningList]:
    return list((await session.exec(select(ScreeningList).order_by(col(ScreeningList.name)))).all())
