"""Audit events of registers (licences, representations) on the one verifiable audit log (`store.audit_log`).

The log chains events per subject key of 18 characters (an MRN for a clearance); a register entry's key is a
three-letter prefix and 15 hex digits of the SHA-256 of its id ("LIC..." a licence, "REP..." a representation),
and each event's detail names the entry."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.clearance import AuditEvent
from store import audit_log
from store.models import AuditRecord, utcnow


def subject_key(prefix: str, entry_id: str) -> str:
    return prefix + hashlib.sha256(entry_id.encode()).hexdigest()[:15].upper()


async def append(session: AsyncSession, key: str, kind: str, actor: str, detail: dict[str, Any]) -> None:
    """One event on the subject's chain, in the caller's transaction (the caller commits). The log's lock is taken
    first, so the sequence number read next is this transaction's to use."""
    await audit_log.lock_head(session)
    last = (await session.exec(select(func.max(AuditRecord.seq)).where(AuditRecord.mrn == key))).one()
    event = AuditEvent(seq=(last or 0) + 1, at=utcnow(), kind=kind, actor=actor, detail=detail)
    await audit_log.append(session, key, [event])


async def trail(session: AsyncSession, key: str) -> list[AuditRecord]:
    return await audit_log.trail(session, key)
