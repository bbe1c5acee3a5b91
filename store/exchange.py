"""The messages between administrations (`exchange_messages`) and the exit of released exports (`export_exits`).

Every write is idempotent (a retried activity or a redelivered message changes nothing twice) and logs its audit
event in the same transaction, under a sequence number derived from the message (`domain.exchange.audit_seq`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, bindparam, insert, update
from sqlmodel import and_, col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.clearance import AuditEvent
from domain.exchange import ExitRecord, audit_seq
from store import audit_log, fastsql
from store.db import Database, upsert
from store.models import ExchangeMessage, ExportExit, MessageRow, utcnow

CREATED = "exchange_messages_created"  # session.info: (id, direction) of the messages this transaction stored


class AuditBatch:
    """The audit events of one transaction's messages, appended to the log at once (`flush`, before the commit):
    one append of several events costs about what one of a single event does."""

    def __init__(self) -> None:
        self.events: dict[str, list[AuditEvent]] = {}

    def add(self, mrn: str, event: AuditEvent) -> None:
        self.events.setdefault(mrn, []).append(event)

    def take(self, mrn: str) -> list[AuditEvent]:
        """The events of `mrn`, for the caller to append with its own (one append instead of two)."""
        return self.events.pop(mrn, [])

    async def flush(self, session: AsyncSession) -> None:
        for mrn, events in self.events.items():
            await audit_log.append(session, mrn, events)
        self.events = {}


def audit_event(row: ExchangeMessage | MessageRow, event: str, actor: str | None = None, **detail: Any) -> AuditEvent:
    """One audit event of the message's clearance: what happened, between whom (never the payload itself)."""
    base = {
        "message_id": row.id,
        "kind": row.kind,
        "direction": row.direction,
        "from": row.from_agency,
        "to": row.to_agency,
        "status": row.status,
    }
    return AuditEvent(
        seq=audit_seq(f"{row.id}:{row.direction}", event),
        at=utcnow(),
        kind=event,
        actor=actor,
        detail={**base, **detail},
    )


async def audit(
    session: AsyncSession,
    row: ExchangeMessage,
    event: str,
    actor: str | None = None,
    *,
    batch: AuditBatch | None = None,
    **detail: Any,
) -> None:
    """Log the event now, or with the transaction's `batch`."""
    found = audit_event(row, event, actor, **detail)
    if batch is not None:
        batch.add(row.mrn, found)
    else:
        await audit_log.append(session, row.mrn, [found])


async def get(session: AsyncSession, message_id: str, direction: str) -> ExchangeMessage | None:
    return await session.get(ExchangeMessage, (message_id, direction))


_MESSAGES = ExchangeMessage.__table__  # type: ignore[attr-defined]
_EXITS = ExportExit.__table__  # type: ignore[attr-defined]
_INSERT_MESSAGES = insert(_MESSAGES)
_STORED = select(_MESSAGES.c.id).where(
    _MESSAGES.c.id == bindparam("id"), _MESSAGES.c.direction == bindparam("direction")
)


async def stored(db: Database, message_id: str, direction: str) -> bool:
    """Whether the message is stored (`Database.rows`: a release asks before it builds one)."""
    return bool(await db.rows(_STORED, {"id": message_id, "direction": direction}))


async def add(
    session: AsyncSession,
    built: MessageRow,
    event: str,
    actor: str | None = None,
    *,
    batch: AuditBatch | None = None,
    known_new: bool = False,
    **detail: Any,
) -> ExchangeMessage:
    """Store a message built in memory (`adapters.exchange_rows`) once, as the ORM instance returned; the same id
    and direction again returns what is stored. `known_new`: the caller knows it cannot be stored yet (it follows
    from a message this transaction stored, `created_here`)."""
    if not known_new:
        found = await get(session, built.id, built.direction)
        if found is not None:
            return found
    row = ExchangeMessage(**asdict(built))
    session.add(row)
    await session.flush()
    session.info.setdefault(CREATED, set()).add((row.id, row.direction))
    await audit(session, row, event, actor, batch=batch, **detail)
    return row


async def insert_prepared(session: AsyncSession, rows: Sequence[MessageRow]) -> None:
    """Messages built before the transaction (a release to an embedded partner, `prepare_embedded`), known not
    to be stored, inserted in one Core statement: through the ORM's unit of work the flush cost more than the
    insert. They are not in the session afterwards (nothing in the transaction reads them back)."""
    if rows:
        columns = [c.name for c in _MESSAGES.columns]
        await fastsql.execute(
            session, _INSERT_MESSAGES, [{name: getattr(row, name) for name in columns} for row in rows]
        )


def created_here(session: AsyncSession, row: ExchangeMessage) -> bool:
    """Whether this transaction stored `row` (rather than finding it stored by an earlier attempt)."""
    return (row.id, row.direction) in session.info.get(CREATED, ())


async def set_status(
    session: AsyncSession,
    row: ExchangeMessage,
    status: str,
    *,
    reason: str | None = None,
    at: datetime | None = None,
    event: str | None = None,
    batch: AuditBatch | None = None,
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
    extra = {"reason": reason} if reason else {}
    await audit(session, row, event or f"exchange_{status}", None, batch=batch, **extra, **detail)
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


_EXITS = ExportExit.__table__  # type: ignore[attr-defined]
_EXIT_BY_MRN = select(_EXITS).where(_EXITS.c.mrn == bindparam("mrn"))


async def read_exit(db: Database, mrn: str) -> Row[Any] | None:
    """A clearance's exit as a row (ExportExit's attributes), on the hot path (`Database.rows`)."""
    found = await db.rows(_EXIT_BY_MRN, {"mrn": mrn})
    return found[0] if found else None


def exit_record(row: ExportExit) -> ExitRecord:
    return ExitRecord.model_validate(row, from_attributes=True)


async def start_exit(session: AsyncSession, mrn: str, follow_up_at: datetime) -> None:
    """A released export is awaited at exit from now on; a retried release changes nothing already recorded."""
    await fastsql.execute(
        session,
        _start_exit(session.get_bind().dialect.name),
        {"mrn": mrn, "status": "awaiting_exit", "follow_up_at": follow_up_at, "updated_at": utcnow()},
    )


@lru_cache
def _start_exit(dialect: str) -> Any:
    return upsert(dialect, _EXITS).on_conflict_do_nothing(index_elements=["mrn"])


async def _settle_if_awaited(session: AsyncSession, mrn: str, **values: Any) -> bool:
    """Move an exit on from `awaiting_exit` only (one statement: a confirmation and the follow-up race safely)."""
    stmt = (
        update(ExportExit)
        .where(col(ExportExit.mrn) == mrn, col(ExportExit.status) == "awaiting_exit")
        .values(**values, updated_at=utcnow())
    )
    return bool((await session.exec(stmt)).rowcount == 1)  # type: ignore[call-overload]


async def confirm_awaited_exit(
    session: AsyncSession,
    mrn: str,
    *,
    confirmed_at: datetime,
    confirmed_by: str,
    office_of_exit: str | None,
    note: str | None,
) -> ExitRecord | None:
    """Customs confirms an exit nobody follows up yet; None when it is no longer awaited (the caller looks again).
    Audited in the same transaction."""
    done = await _settle_if_awaited(
        session,
        mrn,
        status="confirmed",
        confirmed_at=confirmed_at,
        confirmed_by=confirmed_by,
        office_of_exit=office_of_exit,
        note=note,
    )
    if not done:
        return None
    event = AuditEvent(
        seq=audit_seq(f"exit:{mrn}", "exit_confirmed"),
        at=utcnow(),
        kind="exit_confirmed",
        actor=confirmed_by,
        detail={"office_of_exit": office_of_exit, "note": note, "confirmed_at": confirmed_at.isoformat()},
    )
    await audit_log.append(session, mrn, [event])
    row = await session.get(ExportExit, mrn, populate_existing=True)
    return exit_record(row) if row is not None else None


async def claim_follow_up(session: AsyncSession, mrn: str, task_id: str) -> ExitRecord | None:
    """The follow-up takes an exit still awaited (status `follow_up`, its task); else how it was settled."""
    await _settle_if_awaited(session, mrn, status="follow_up", task_id=task_id)
    row = await session.get(ExportExit, mrn, populate_existing=True)
    return exit_record(row) if row is not None else None


async def due_exits(session: AsyncSession, now: datetime, limit: int = 200) -> list[str]:
    """The exports still awaited at exit past their follow-up date, oldest first."""
    query = (
        select(ExportExit.mrn)
        .where(col(ExportExit.status) == "awaiting_exit", col(ExportExit.follow_up_at) <= now)
        .order_by(col(ExportExit.follow_up_at))
        .limit(limit)
    )
    return list((await session.exec(query)).all())
