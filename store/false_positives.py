"""The register of known false positives: a party an officer cleared is not sent to review again for the same list
entry, while neither the entry (its content hash) nor the party's normalised name and country changed, until the
finding expires or is revoked."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from screening.normalise import normalise_name
from store.models import KnownFalsePositive, ScreeningListEntry, utcnow

State = Literal["active", "expired", "revoked", "void"]


class EntryNotListed(LookupError):
    """The list has no entry with that id."""


class AlreadyRevoked(Exception):
    pass


@dataclass(frozen=True)
class Registered:
    record: KnownFalsePositive
    state: State  # void: the entry changed or left the list since it was recorded


def party_key(name: str) -> str:
    """How screening compares a party's name: normalised (case, script, punctuation and legal form do not count)."""
    return normalise_name(name)


def _aware(at: datetime | None) -> datetime | None:
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def _state(record: KnownFalsePositive, current_hash: str | None, now: datetime) -> State:
    if record.revoked_at is not None:
        return "revoked"
    expires_at = _aware(record.expires_at)
    if expires_at is not None and expires_at <= now:
        return "expired"
    if current_hash != record.entry_hash:
        return "void"
    return "active"


async def create(
    session: AsyncSession,
    *,
    agency: str,
    list_name: str,
    entry_id: str,
    party_name: str,
    party_country: str | None,
    reason: str,
    expires_at: datetime | None,
    by: str,
) -> KnownFalsePositive:
    entry = (
        await session.exec(
            select(ScreeningListEntry.name, ScreeningListEntry.content_hash).where(
                ScreeningListEntry.list == list_name, ScreeningListEntry.entry_id == entry_id
            )
        )
    ).first()
    if entry is None:
        raise EntryNotListed(f"list {list_name} has no entry {entry_id}")
    record = KnownFalsePositive(
        id=f"fp-{uuid.uuid4().hex[:16]}",
        agency=agency,
        list=list_name,
        entry_id=entry_id,
        entry_name=entry[0],
        entry_hash=entry[1],
        party_name=party_name,
        party_key=party_key(party_name),
        party_country=party_country,
        reason=reason,
        created_by=by,
        expires_at=expires_at,
    )
    session.add(record)
    await session.commit()
    return record


async def registered(
    session: AsyncSession,
    *,
    agency: str,
    list_name: str | None = None,
    entry_id: str | None = None,
    state: State | None = None,
    fp_id: str | None = None,
    now: datetime | None = None,
    limit: int = 500,
) -> list[Registered]:
    """The agency's register, newest first, each with its state now."""
    query = (
        select(KnownFalsePositive, ScreeningListEntry.content_hash)
        .join(
            ScreeningListEntry,
            and_(
                col(ScreeningListEntry.list) == col(KnownFalsePositive.list),
                col(ScreeningListEntry.entry_id) == col(KnownFalsePositive.entry_id),
            ),
            isouter=True,
        )
        .where(KnownFalsePositive.agency == agency)
        .order_by(col(KnownFalsePositive.created_at).desc(), col(KnownFalsePositive.id))
    )
    if list_name is not None:
        query = query.where(KnownFalsePositive.list == list_name)
    if entry_id is not None:
        query = query.where(KnownFalsePositive.entry_id == entry_id)
    if fp_id is not None:
        query = query.where(KnownFalsePositive.id == fp_id)
    if state == "revoked":
        query = query.where(col(KnownFalsePositive.revoked_at).is_not(None))
    elif state is not None:
        query = query.where(col(KnownFalsePositive.revoked_at).is_(None))
    now = now or utcnow()
    found = [Registered(record, _state(record, current, now)) for record, current in (await session.exec(query)).all()]
    return [r for r in found if state is None or r.state == state][:limit]


async def get(session: AsyncSession, fp_id: str) -> KnownFalsePositive | None:
    return await session.get(KnownFalsePositive, fp_id)


async def revoke(session: AsyncSession, *, record: KnownFalsePositive, by: str, reason: str) -> KnownFalsePositive:
    if record.revoked_at is not None:
        raise AlreadyRevoked(f"{record.id} was revoked by {record.revoked_by} at {record.revoked_at}")
    record.revoked_by, record.revoked_at, record.revoke_reason = by, utcnow(), reason
    session.add(record)
    await session.commit()
    return record


async def suppressions(
    session: AsyncSession,
    *,
    agency: str,
    party_name: str,
    party_country: str | None,
    entries: Iterable[tuple[str, str]],
    now: datetime | None = None,
) -> dict[tuple[str, str], str]:
    """For the (list, entry id) pairs a party matched: the active register entry that suppresses each, by pair."""
    pairs = list(dict.fromkeys(entries))
    if not pairs:
        return {}
    country = party_country.upper() if party_country else None
    query = (
        select(KnownFalsePositive, ScreeningListEntry.content_hash)
        .join(
            ScreeningListEntry,
            and_(
                col(ScreeningListEntry.list) == col(KnownFalsePositive.list),
                col(ScreeningListEntry.entry_id) == col(KnownFalsePositive.entry_id),
            ),
        )
        .where(
            KnownFalsePositive.agency == agency,
            KnownFalsePositive.party_key == party_key(party_name),
            col(KnownFalsePositive.revoked_at).is_(None),
            or_(
                *(
                    and_(col(KnownFalsePositive.list) == lst, col(KnownFalsePositive.entry_id) == eid)
                    for lst, eid in pairs
                )
            ),
        )
        .order_by(col(KnownFalsePositive.created_at))
    )
    now = now or utcnow()
    found: dict[tuple[str, str], str] = {}
    for record, current in (await session.exec(query)).all():
        if record.party_country == country and _state(record, current, now) == "active":
            found.setdefault((record.list, record.entry_id), record.id)
    return found
