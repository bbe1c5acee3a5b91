"""The SOP catalogue: published versions are immutable; new clearances take the latest version of a name."""

from __future__ import annotations

from sqlalchemy import bindparam, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from sop.model import MAX_SOP_VERSION, PublishedSop, SopDefinition, SopRef
from store.db import Database
from store.models import SopVersionRecord

_LATEST_VERSION = select(func.max(SopVersionRecord.version).label("latest")).where(
    SopVersionRecord.name == bindparam("name")
)


class SopConflict(Exception):
    """The name and version exist with different content: publish a new version instead."""


def _published(row: SopVersionRecord) -> PublishedSop:
    return PublishedSop(
        ref=SopRef(name=row.name, version=row.version, hash=row.hash),
        published_at=row.published_at,
        definition=SopDefinition.model_validate(row.definition),
    )


async def publish(session: AsyncSession, definition: SopDefinition, *, by: str) -> tuple[PublishedSop, bool]:
    """Publish a version; returns (published, created). Same content again is a no-op, other content a conflict."""
    digest = definition.content_hash()
    existing = await session.get(SopVersionRecord, (definition.name, definition.version))
    if existing is not None:
        if existing.hash != digest:
            raise SopConflict(
                f"{definition.name} v{definition.version} is already published with other content "
                f"(hash {existing.hash[:12]}); publish it as version {await _next_version(session, definition.name)}"
            )
        return _published(existing), False
    row = SopVersionRecord(
        name=definition.name,
        version=definition.version,
        hash=digest,
        definition=definition.model_dump(mode="json"),
        published_by=by,
    )
    session.add(row)
    await session.commit()
    return _published(row), True


async def _next_version(session: AsyncSession, name: str) -> int:
    result = await session.exec(select(func.max(SopVersionRecord.version)).where(SopVersionRecord.name == name))
    return (result.one() or 0) + 1


async def latest(session: AsyncSession, name: str) -> PublishedSop | None:
    result = await session.exec(
        select(SopVersionRecord).where(SopVersionRecord.name == name).order_by(SopVersionRecord.version.desc())  # type: ignore[attr-defined]
    )
    row = result.first()
    return _published(row) if row else None


async def read_latest_version(db: Database, name: str) -> int | None:
    """The latest version number of SOP `name` (primary-key index), None when none is published; on lodging's
    path (`Database.rows`)."""
    version = (await db.rows(_LATEST_VERSION, {"name": name}))[0].latest
    return None if version is None else int(version)


async def get(session: AsyncSession, name: str, version: int) -> PublishedSop | None:
    if not 1 <= version <= MAX_SOP_VERSION:  # never published, and beyond what the database's integers hold
        return None
    row = await session.get(SopVersionRecord, (name, version))
    return _published(row) if row else None


async def catalogue(session: AsyncSession) -> list[SopVersionRecord]:
    result = await session.exec(
        select(SopVersionRecord).order_by(col(SopVersionRecord.name), col(SopVersionRecord.version))
    )
    return list(result.all())
