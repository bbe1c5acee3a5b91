"""The messages between administrations (`exchange_messages`) and the exit of released exports (`export_exits`).

Every write is idempotent (a retried activity or a redelivered message changes nothing twice) and logs its audit
event in the same transaction, under a sequence number derived from the message (`domain.exchange.audit_seq`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import and_, col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.clearance import AuditEvent
from domain.exchange import ExitRecord, audit_seq
from store import audit_log
from store.models import ExchangeMessage, ExportExit, utcnow


async def audit(
    session: AsyncSession, row: ExchangeMessage, event: str, actor: str | None = None, **detail: Any
) -> None:
    """One audit event of the message's clearance: what happened, between whom (never the payload itself)."""
    at = utcnow()
    base = {
        "message_id": row.id,
        "kind": row.kind,
        "direction": row.direction,
        "from": row.from_agency,
        "to": row.to_agency,
        "status": row.status,
    }
    await audit_log.append(
        session,
        row.mrn,
        [
            AuditEvent(
                seq=audit_seq(f"{row.id}:{row.direction}", event),
                at=at,
                kind=event,
                actor=actor,
                detail={**base, **detail},
            )
        ],
    )


async def get(session: AsyncSession, message_id: str, direction: str) -> ExchangeMessage | None:
    return await session.get(ExchangeMessage, (message_id, direction))


async def add(
    session: AsyncSession, row: ExchangeMessage, event: str, actor: str | None = None, **detail: Any
) -> ExchangeMessage:
    """Store a message once; the same id and direction again returns what is stored."""
    found = await get(session, row.id, row.direction)
    if found is not None:
        return found
    session.add(row)
    await session.flush()
    await audit(session, row, event, actor, **detail)
    return row


async def set_status(
    session: AsyncSession,
    row: ExchangeMessage,
    status: str,
    *,
    reason: str | None = None,
    at: datetime | None = None,
    event: str | None = None,
    **detail: Any,
) -> ExchangeMessage:
    """Move a message along pending → delivered → acknowledged | failed; a later state is never undone."""
    order = {"pending": 0, "delivered": 1, "acknowledged": 2, "failed": 2, "received": 1, "rejected": 2}
    if order.get(status, 0) < order.get(row.status, 0) or row.status == status:
        return row
    row.status = status
    row.reason = reason[:400] if reason else row.reason
    if status == "acknowledged":
        row.acknowledged_at = at or utcnow()
    if status == "delivered" and row.received_at is None:
        row.received_at = at or utcnow()
    session.add(row)
    await session.flush()
    await audit(session, row, event or f"exchange_{status}", None, **({"reason": reason} if reason else {}), **detail)
    return row


async def visible_to(
    session: AsyncSession, agency: str, *, mrn: str | None = None, kind: str | None = None, limit: int = 200
) -> list[ExchangeMessage]:
    """What an agency's officers see: the messages it sent and those it received (refused ones included)."""
    query = select(ExchangeMessage).where(
        or_(
            and_(col(ExchangeMessage.direction) == "out", col(ExchangeMessage.from_agency) == agency),
            and_(col(ExchangeMessage.direction) == "in", col(ExchangeMessage.to_agency) == agency),
        )
    )
    if mrn:
        query = query.where(col(ExchangeMessage.mrn) == mrn)
    if kind:
        query = query.where(col(ExchangeMessage.kind) == kind)
    query = query.order_by(col(ExchangeMessage.sent_at).desc(), col(ExchangeMessage.id)).limit(limit)
    return list((await session.exec(query)).all())


async def find_received(session: AsyncSession, message_id: str) -> ExchangeMessage | None:
    return await get(session, message_id, "in")


async def replies_to(session: AsyncSession, message_id: str, kind: str) -> list[ExchangeMessage]:
    query = select(ExchangeMessage).where(
        col(ExchangeMessage.in_reply_to) == message_id, col(ExchangeMessage.kind) == kind
    )
    return list((await session.exec(query)).all())


def public(row: ExchangeMessage) -> dict[str, Any]:
    """A message as `GET /v1/exchange/messages` shows it."""
    return {
        "id": row.id,
        "kind": row.kind,
        "mrn": row.mrn,
        "direction": row.direction,
        "from": row.from_agency,
        "to": row.to_agency,
        "sent_at": _ts(row.sent_at),
        "received_at": _ts(row.received_at),
        "acknowledged_at": _ts(row.acknowledged_at),
        "status": row.status,
        "reason": row.reason,
        "in_reply_to": row.in_reply_to,
        "signature": row.signature,
        "payload": row.payload,
    }


def summary(row: ExchangeMessage, agency: str) -> dict[str, Any]:
    """A message as a clearance's view lists it (`exchange`)."""
    counterpart = row.to_agency if row.direction == "out" else row.from_agency
    out = {
        "id": row.id,
        "direction": row.direction,
        "kind": row.kind,
        "counterpart": counterpart,
        "status": row.status,
        "sent_at": _ts(row.sent_at),
        "acknowledged_at": _ts(row.acknowledged_at),
    }
    if row.kind == "control_result":
        out["result"] = row.payload.get("result")
    return out


def _ts(at: datetime | None) -> str | None:
    if at is None:
        return None
    text = at.isoformat()
    return text.replace("+00:00", "Z") if at.tzinfo else text + "Z"


# --- exit of released exports ------------------------------------------------------------------------------


async def record_exit(session: AsyncSession, record: ExitRecord) -> None:
    row = await session.get(ExportExit, record.mrn)
    if row is None:
        row = ExportExit(mrn=record.mrn, status=record.status)
    for name, value in record.model_dump().items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    session.add(row)


async def get_exit(session: AsyncSession, mrn: str) -> ExportExit | None:
    return await session.get(ExportExit, mrn)
