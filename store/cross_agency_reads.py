"""Cross-agency reads of a clearance, in its audit trail: an officer of another agency taking part in the clearance
(the export-control authority reading a customs clearance it decides something on) reads it under a rule of
`domain/policy.py`, and the read is an audit event `cross_agency_read` (who, which agency, the MRN).

Not one per request: a console page or a long poll reads the same clearance many times. One event per principal and
clearance per `WINDOW` (an hour) says who looked and when it started; the log stays proportional to the people
looking, not to their clicks. The events take sequence numbers from their own range (`READ_SEQ_BASE`), apart from the
workflows' (0…, the joint inspection's 1 000 000 * n, the post-release alerts' 1 000 000 000…)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.clearance import AuditEvent
from store import audit_log
from store.models import AuditRecord

READ_SEQ_BASE = 2_000_000_000
WINDOW = timedelta(hours=1)
KIND = "cross_agency_read"


async def recently_recorded(session: AsyncSession, *, mrn: str, principal_id: str, since: datetime) -> bool:
    query = (
        select(AuditRecord.seq)
        .where(AuditRecord.mrn == mrn, AuditRecord.kind == KIND, AuditRecord.actor == principal_id)
        .where(col(AuditRecord.at) >= since)
        .limit(1)
    )
    return (await session.exec(query)).first() is not None


async def record(session: AsyncSession, *, mrn: str, principal_id: str, agency: str, owner: str, at: datetime) -> bool:
    """Log the read unless this principal's read of this clearance is logged within the window; True when logged.
    Runs in the caller's write transaction (the caller commits)."""
    if await recently_recorded(session, mrn=mrn, principal_id=principal_id, since=at - WINDOW):
        return False
    top = (
        await session.exec(
            select(func.max(AuditRecord.seq)).where(AuditRecord.mrn == mrn, col(AuditRecord.seq) >= READ_SEQ_BASE)
        )
    ).first()
    seq = int(top) + 1 if top is not None else READ_SEQ_BASE
    event = AuditEvent(
        seq=seq, at=at, kind=KIND, actor=principal_id, detail={"agency": agency, "clearance_agency": owner, "mrn": mrn}
    )
    return await audit_log.append(session, mrn, [event]) > 0
