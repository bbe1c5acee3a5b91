"""The activities of cross-border exchange: compose a released export's notification (exactly the agreed data
set, to the partner of the destination country) and try its first delivery on release, deliver a stored message
through the partner adapter (durably), record a delivery that failed for good, and the export's exit state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from adapters.errors import AGENCY_REJECTED
from adapters.exchange_office import ExchangeOffice, NotAgreed
from adapters.partner import InboundRefused
from domain.agencies import Agency
from domain.clearance import ClearanceView
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
from store import clearances as clearance_store
from store import exchange as exchange_store
from store.db import Database
from store.exchange import AuditBatch
from workflows import options

log = structlog.get_logger("exchange")


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

    async def ready(self) -> None:
        """The keys read (and published) before a transaction that composes or receives a message."""
        await self._office.keys()

    async def stage_release(self, session: Any, batch: AuditBatch, view: ClearanceView) -> ReleaseExchange:
        """A release's exchange in the outcome's own transaction (`record_outcome`): the exit awaited from now on
        (the worker's exit sweeper follows it up past its date), the export notification composed, signed and
        stored and, to a partner this engine embeds, delivered and acknowledged — one commit for all of it.
        `delivery` None: a remote partner, to `finish_release` after the commit. Idempotent: a retried outcome
        finds the exit and the message stored."""
        await exchange_store.start_exit(session, view.mrn, self.follow_up_at(view.updated_at))
        partner, agreement, reason = await self._plan(session, view)
        if partner is None or agreement is None:
            return ReleaseExchange(reason=reason, partner=partner.id if partner else None)
        row = await self._office.compose_in(
            session,
            batch,
            kind="export_notification",
            mrn=view.mrn,
            sender=view.agency,
            recipient=partner.id,
            payload=export_data_set(
                view.declaration, mrn=view.mrn, released_at=view.updated_at, fields=agreement.data_set
            ),
            in_reply_to=None,
            actor=None,
            msg_id=message_id(view.mrn, "export_notification"),
            status="pending",
        )
        delivery = await self._office.send_in(session, batch, row)
        return ReleaseExchange(message_id=row.id, partner=partner.id, delivery=delivery)  # type: ignore[arg-type]

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

    async def _plan(
        self, session: Any, view: ClearanceView
    ) -> tuple[Agency | None, ExchangeAgreement | None, str | None]:
        """The partner of the destination country and the agreement naming export notifications, or why not."""
        country = view.declaration.country_of_destination
        partner = self._office.partner_for_country(await self._office.registry(session), country)
        if partner is None:
            return None, None, f"no partner administration acts for {country}"
        if not (await self._office.keys()).hosts(view.agency):
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
            partner, agreement, reason = await self._plan(session, view)
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
