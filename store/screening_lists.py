"""Restricted-party lists: an import replaces one list atomically and gives it a new revision, which tells every
process holding a screening index that it must rebuild that list. Each entry keeps the revision that added or last
changed it and a hash of its content, so an import knows which entries are new or changed (delta screening)."""

from __future__ import annotations

import asyncio
import builtins  # the field "list" shadows the builtin inside ImportResult
import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, cast, delete, func, insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from screening.entries import IndexedEntry
from screening.lists import ListEntry
from store.db import Database
from store.models import ScreeningList, ScreeningListEntry, utcnow


@dataclass(frozen=True)
class ImportResult:
    """What a list import changed. `changed` holds the entries that are new or whose content changed."""

    list: str
    revision: int
    imported: int  # entries not in the list before
    updated: int  # entries already in the list (changed or not)
    removed: int
    changed: builtins.list[ListEntry] = field(default_factory=builtins.list)


_ENTRY_FIELDS = tuple(ListEntry.model_fields)
INSERT_CHUNK = 5000  # rows per executemany


def _entry_data(entry: ListEntry) -> dict[str, Any]:
    """The entry as JSON-ready data; what `model_dump(mode="json")` gives for its plain field types, ten times
    faster (`details`, the one nested model, is dumped when present)."""
    data = {field: getattr(entry, field) for field in _ENTRY_FIELDS}
    if entry.details is not None:
        data["details"] = entry.details.model_dump(mode="json")
    return data


def _digest(data: dict[str, Any]) -> str:
    # An entry without details hashes as it did before entries had them.
    identifying = {k: v for k, v in data.items() if k != "list" and not (k == "details" and not v)}
    return hashlib.sha256(json.dumps(identifying, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def content_hash(entry: ListEntry) -> str:
    """Fingerprint of everything that identifies a listed party (not the list name it was imported under)."""
    return _digest(_entry_data(entry))


def _rows(
    name: str, entries: list[ListEntry], before: dict[str, tuple[int, str]], revision: int
) -> tuple[list[dict[str, Any]], list[ListEntry], int]:
    """Table rows for the entries (the last of a duplicated id wins), the new or changed entries, and how many of
    the ids were in the list before. CPU work: the caller runs it in a thread."""
    unique: dict[str, ListEntry] = {}
    for entry in entries:
        unique[entry.entry_id] = entry if entry.list == name else entry.model_copy(update={"list": name})
    rows: list[dict[str, Any]] = []
    changed: list[ListEntry] = []
    kept = 0
    for entry in unique.values():
        data = _entry_data(entry)
        digest = _digest(data)
        previous = before.get(entry.entry_id)
        if previous is not None:
            kept += 1
        if previous is not None and previous[1] == digest:
            entry_revision = previous[0]
        else:
            entry_revision = revision
            changed.append(entry)
        rows.append(
            {
                "list": name,
                "entry_id": entry.entry_id,
                "name": entry.name[:500],
                "revision": entry_revision,
                "content_hash": digest,
                "data": data,
            }
        )
    return rows, changed, kept


async def replace_list(session: AsyncSession, *, name: str, entries: list[ListEntry], by: str) -> ImportResult:
    """Replace the list's entries in one transaction: bulk inserts in chunks, hashing off the event loop."""
    lock = select(ScreeningList).where(ScreeningList.name == name)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        lock = lock.with_for_update()  # concurrent imports of one list take turns
    record = (await session.exec(lock)).first() or ScreeningList(name=name)
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
    revision = ((await session.exec(select(func.max(ScreeningList.revision)))).one() or 0) + 1
    rows, changed, kept = await asyncio.to_thread(_rows, name, entries, before, revision)
    await session.exec(delete(ScreeningListEntry).where(col(ScreeningListEntry.list) == name))  # type: ignore[call-overload]
    connection = await session.connection()
    table = ScreeningListEntry.__table__  # type: ignore[attr-defined]
    for start in range(0, len(rows), INSERT_CHUNK):
        await connection.execute(insert(table), rows[start : start + INSERT_CHUNK])
    record.revision, record.entry_count = revision, len(rows)
    record.imported_at, record.imported_by = utcnow(), by
    session.add(record)
    await session.commit()
    return ImportResult(
        list=name,
        revision=revision,
        imported=len(rows) - kept,
        updated=kept,
        removed=len(before) - kept,
        changed=changed,
    )


async def list_snapshot(session: AsyncSession, name: str) -> tuple[int, list[str]]:
    """The list's revision and its entries as JSON texts (decode them with `decode_entries`, in a thread).

    The revision is read first: an import committed in between makes the entries newer than the revision said,
    never older, so an index built from them is at least at that revision."""
    revision = (await session.exec(select(ScreeningList.revision).where(ScreeningList.name == name))).first() or 0
    texts: list[str] = []
    result = await session.stream(
        select(cast(ScreeningListEntry.data, Text)).where(ScreeningListEntry.list == name)  # type: ignore[arg-type]
    )
    async for partition in result.partitions(INSERT_CHUNK):
        texts.extend(row[0] for row in partition)
    return revision, texts


def decode_entries(texts: list[str]) -> list[ListEntry]:
    """Entries from the texts `list_snapshot` read (stored by an import, so valid: no validation again)."""
    return [ListEntry.model_construct(**json.loads(text)) for text in texts]


def _indexed_fields(dialect: str) -> Any:
    """An entry's id, name, aliases and countries as one JSON array text, picked out of its data by the database
    (a third of the data's size, so decoding it is that much cheaper than decoding the whole record)."""
    data = ScreeningListEntry.data
    if dialect == "postgresql":
        fields = [data.op("->")(key) for key in ("entry_id", "name", "alt_names", "countries")]  # type: ignore[attr-defined]
        return cast(func.json_build_array(*fields), Text)
    return func.json_array(
        func.json_extract(data, "$.entry_id"),
        func.json_extract(data, "$.name"),
        func.json(func.json_extract(data, "$.alt_names")),
        func.json(func.json_extract(data, "$.countries")),
    )


def _indexed(name: str, texts: list[str]) -> list[IndexedEntry]:
    records = []
    for text in texts:
        entry_id, entry_name, alt_names, countries = json.loads(text)
        records.append(IndexedEntry(name, entry_id, entry_name, alt_names or [], countries or []))
    return records


async def index_records(
    session: AsyncSession, name: str, *, after: int = 0, at: int | None = None
) -> tuple[int, list[IndexedEntry]]:
    """The list's revision and what an index reads of its entries (names, aliases, countries): every entry, those
    added or changed after revision `after`, or those the import at revision `at` added or changed. Read in
    chunks, decoded off the event loop, never whole `ListEntry` objects (see `list_snapshot` for the revision
    read first)."""
    revision = (await session.exec(select(ScreeningList.revision).where(ScreeningList.name == name))).first() or 0
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    query = select(_indexed_fields(dialect)).where(ScreeningListEntry.list == name)
    if at is not None:
        query = query.where(ScreeningListEntry.revision == at)
    elif after:
        query = query.where(ScreeningListEntry.revision > after)
    records: list[IndexedEntry] = []
    result = await session.stream(query)
    async for partition in result.partitions(INSERT_CHUNK):
        records.extend(await asyncio.to_thread(_indexed, name, [row[0] for row in partition]))
    return revision, records


async def entry_ids(session: AsyncSession, name: str) -> set[str]:
    """The ids of the list's entries now."""
    query = select(ScreeningListEntry.entry_id).where(ScreeningListEntry.list == name)
    return set((await session.exec(query)).all())


async def entries_as_of(
    session: AsyncSession, name: str, entry_ids: Collection[str], *, revision: int
) -> dict[str, ListEntry]:
    """The records of those entries of the list whose content is what it was at list revision `revision` (added or
    last changed at or before it): an entry changed or removed since is missing from the answer."""
    found: dict[str, ListEntry] = {}
    ids = sorted(set(entry_ids))
    for start in range(0, len(ids), 500):
        rows = await session.exec(
            select(ScreeningListEntry.entry_id, ScreeningListEntry.data).where(
                ScreeningListEntry.list == name,
                col(ScreeningListEntry.entry_id).in_(ids[start : start + 500]),
                ScreeningListEntry.revision <= revision,
            )
        )
        found.update((entry_id, ListEntry.model_validate(data)) for entry_id, data in rows.all())
    return found


async def revision(session: AsyncSession) -> tuple[int, int]:
    """(highest revision, number of lists): changes whenever any list is imported."""
    row = (await session.exec(select(func.max(ScreeningList.revision), func.count()).select_from(ScreeningList))).one()
    return (row[0] or 0, row[1])


async def revisions(session: AsyncSession) -> dict[str, int]:
    """The current revision of every list, by list name."""
    return dict((await session.exec(select(ScreeningList.name, ScreeningList.revision))).all())


_REVISIONS = select(ScreeningList.name, ScreeningList.revision)


async def read_revisions(db: Database) -> dict[str, int]:
    """`revisions` on lodging's path (`Database.rows`)."""
    return {str(row.name): int(row.revision) for row in await db.rows(_REVISIONS)}


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
