"""The activities of cross-border exchange: compose a released export's notification (exactly the agreed data
set, to the partner of the destination country) and try its first delivery on release, deliver a stored message
through the partner adapter (durably), record a delivery that failed for good, and the export's exit state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from adapters.errors import AGENCY_REJECTED
from adapters.exchange_office import ExchangeOffice, NotAgreed
from adapters.exchange_rows import Refused
from adapters.partner import InboundRefused
from domain.agencies import Agency
from domain.clearance import AuditEvent, ClearanceView
from domain.exchange import (
    ComposeResult,
    ExchangeAgreement,
    ExitRecord,
    ExportExchangeInput,
    FailDelivery,
    ReleaseExchange,
    export_data_set,
    message_id,
)
from store import agencies as agency_store
from store import clearances as clearance_store
from store import exchange as exchange_store
from store.db import Database
from store.exchange import AuditBatch
from store.models import MessageRow
from workflows import options

log = structlog.get_logger("exchange")


@dataclass
class PreparedRelease:
    """A release's exchange as far as it goes before the outcome's transaction: the partner and agreement (or
    `done`, when there is no notification to send), and for an embedded partner the rows and audit events built
    in memory (`done` then says how it went)."""

    partner: Agency | None = None
    agreement: ExchangeAgreement | None = None
    rows: list[MessageRow] = field(default_factory=list)
    events: list[AuditEvent] = field(default_factory=list)
    done: ReleaseExchange | None = None


class ExchangeActivities:
    def __init__(self, *, db: Database, office: ExchangeOffice, follow_up_days: float, due_days: float) -> None:
        self._db, self._office = db, office
        self._follow_up, self._due = follow_up_days * 86400, due_days * 86400

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.start_export_exchange,
            self.claim_exit_follow_up,
            self.deliver_exchange_message,
            self.fail_exchange_message,
            self.record_exit,
        ]

    @activity.defn(name=options.START_EXPORT_EXCHANGE)
    async def start_export_exchange(self, inp: ExportExchangeInput) -> ComposeResult:
        """The follow-up period, and the export notification stored for sending when the destination country has a
        partner administration with an agreement naming export notifications (the `ExportExchange` workflow of
        clearances released before `release-exchange`)."""
        composed = await self._compose(inp)
        return ComposeResult(
            follow_up_seconds=self._follow_up,
            follow_up_due_seconds=self._due,
            message_id=composed.message_id,
            partner=composed.partner,
            reason=composed.reason,
        )

    def follow_up_at(self, released_at: datetime) -> datetime:
        return released_at + timedelta(seconds=self._follow_up)

    async def prepare_release(self, view: ClearanceView) -> PreparedRelease:
        """Before the outcome's transaction, so that the database's writer is held only to write: the keys and
        the registry read, the partner and agreement found, and — to a partner this engine embeds, the
        notification not stored yet — the whole exchange built in memory (`ExchangeOffice.prepare_embedded`)."""
        await self._office.keys()
        msg_id = message_id(view.mrn, "export_notification")
        registry = self._office.cached_registry()
        if registry is None:
            async with self._db.reader() as session:
                registry = await self._office.registry(session)
        stored = await exchange_store.stored(self._db, msg_id, "out")
        partner, agreement, reason = self._plan(registry, view)
        if partner is None or agreement is None:
            return PreparedRelease(done=ReleaseExchange(reason=reason, partner=partner.id if partner else None))
        prepared = PreparedRelease(partner=partner, agreement=agreement)
        if stored or partner.endpoint:
            return prepared  # a retry, or a remote partner: composed in the transaction
        try:
            rows, events = await self._office.prepare_embedded(
                registry,
                kind="export_notification",
                mrn=view.mrn,
                sender=view.agency,
                recipient=partner.id,
                payload=self._payload(view, agreement),
                msg_id=msg_id,
            )
        except Refused:
            return prepared  # `send_in` in the transaction records the refusal
        done = ReleaseExchange(message_id=msg_id, partner=partner.id, delivery="acknowledged")
        return PreparedRelease(partner=partner, agreement=agreement, rows=rows, events=events, done=done)

    async def stage_release(
        self, session: Any, batch: AuditBatch, view: ClearanceView, prepared: PreparedRelease
    ) -> ReleaseExchange:
        """A release's exchange in the outcome's own transaction (`record_outcome`): the exit awaited from now on
        (the worker's exit sweeper follows it up past its date) and the prepared exchange stored — one commit
        for all of it. Otherwise (a retry, a remote partner, a refusal to record) the notification is composed,
        signed and stored here and, to an embedded partner, delivered (`ExchangeOffice.send_in`); `delivery`
        None: a remote partner, to `finish_release` after the commit."""
        await exchange_store.start_exit(session, view.mrn, self.follow_up_at(view.updated_at))
        if prepared.done is not None:
            if prepared.rows:
                await exchange_store.insert_prepared(session, prepared.rows)
                for event in prepared.events:
                    batch.add(view.mrn, event)
            return prepared.done
        partner, agreement = prepared.partner, prepared.agreement
        assert partner is not None and agreement is not None
        row = await self._office.compose_in(
            session,
            batch,
            kind="export_notification",
            mrn=view.mrn,
            sender=view.agency,
            recipient=partner.id,
            payload=self._payload(view, agreement),
            in_reply_to=None,
            actor=None,
            msg_id=message_id(view.mrn, "export_notification"),
            status="pending",
        )
        delivery = await self._office.send_in(session, batch, row)
        return ReleaseExchange(message_id=row.id, partner=partner.id, delivery=delivery)  # type: ignore[arg-type]

    @staticmethod
    def _payload(view: ClearanceView, agreement: ExchangeAgreement) -> dict[str, Any]:
        return export_data_set(view.declaration, mrn=view.mrn, released_at=view.updated_at, fields=agreement.data_set)

    async def finish_release(self, mrn: str, staged: ReleaseExchange) -> ReleaseExchange:
        """After the outcome's commit, a remote partner's first delivery, tried once. One that cannot be reached
        now gets it from a durable `ExchangeDelivery` (`redeliver`); one that refuses it has it recorded failed."""
        if staged.message_id is None or staged.delivery is not None:
            return staged
        try:
            status = await self._office.deliver(staged.message_id)
        except (InboundRefused, ApplicationError) as exc:
            rejected = isinstance(exc, InboundRefused) or exc.non_retryable or exc.type == AGENCY_REJECTED
            if not rejected:
                log.info("exchange_redelivery", mrn=mrn, message_id=staged.message_id, reason=str(exc))
                return staged.model_copy(update={"delivery": "redeliver"})
            reason = exc.reason if isinstance(exc, InboundRefused) else exc.message
            await self._office.fail(staged.message_id, reason[:400])
            return staged.model_copy(update={"delivery": "failed", "reason": reason[:400]})
        except Exception as exc:  # a store or network fault: the durable delivery tries again
            log.info("exchange_redelivery", mrn=mrn, message_id=staged.message_id, reason=repr(exc))
            return staged.model_copy(update={"delivery": "redeliver"})
        return staged.model_copy(update={"delivery": "acknowledged" if status == "acknowledged" else "delivered"})

    def _plan(
        self, registry: dict[str, Agency], view: ClearanceView
    ) -> tuple[Agency | None, ExchangeAgreement | None, str | None]:
        """The partner of the destination country and the agreement naming export notifications, or why not."""
        country = view.declaration.country_of_destination
        partner = agency_store.partner_among(registry.values(), country)
        if partner is None:
            return None, None, f"no partner administration acts for {country}"
        if self._office.ring is None or not self._office.ring.hosts(view.agency):
            return partner, None, f"this engine does not sign for {view.agency}"
        try:
            return partner, self._office.agreement(partner.id, country, "export_notification"), None
        except NotAgreed as exc:
            return partner, None, str(exc)

    @activity.defn(name=options.CLAIM_EXIT_FOLLOW_UP)
    async def claim_exit_follow_up(self, inp: ExitRecord) -> ExitRecord | None:
        """The follow-up takes the exit when it is still awaited (`inp.task_id` its task); else how it stands."""
        assert inp.task_id is not None
        async with self._db.writer() as session:
            record = await exchange_store.claim_follow_up(session, inp.mrn, inp.task_id)
            await session.commit()
        return record

    async def _compose(self, inp: ExportExchangeInput) -> ReleaseExchange:
        async with self._db.session() as session:
            view = await clearance_store.get_view(session, inp.mrn)
            if view is None:
                raise ApplicationError(f"no read model of {inp.mrn}", type="NotFound", non_retryable=True)
            await self._office.keys()
            partner, agreement, reason = self._plan(await self._office.registry(session), view)
        if partner is None or agreement is None:
            return ReleaseExchange(reason=reason, partner=partner.id if partner else None)
        payload = export_data_set(view.declaration, mrn=inp.mrn, released_at=inp.released_at, fields=agreement.data_set)
        row = await self._office.compose(
            kind="export_notification",
            mrn=inp.mrn,
            sender=view.agency,
            recipient=partner.id,
            payload=payload,
            msg_id=message_id(inp.mrn, "export_notification"),
        )
        return ReleaseExchange(message_id=row.id, partner=partner.id)

    @activity.defn(name=options.DELIVER_EXCHANGE_MESSAGE)
    async def deliver_exchange_message(self, message: str) -> str:
        try:
            return await self._office.deliver(message)
        except InboundRefused as exc:
            raise ApplicationError(exc.reason, type=AGENCY_REJECTED, non_retryable=True) from exc
        except KeyError as exc:
            raise ApplicationError(f"no message {message}", type=AGENCY_REJECTED, non_retryable=True) from exc

    @activity.defn(name=options.FAIL_EXCHANGE_MESSAGE)
    async def fail_exchange_message(self, inp: FailDelivery) -> None:
        await self._office.fail(inp.message_id, inp.reason)

    @activity.defn(name=options.RECORD_EXIT)
    async def record_exit(self, inp: ExitRecord) -> None:
        async with self._db.writer() as session:
            await exchange_store.record_exit(session, inp)
            await session.commit()
