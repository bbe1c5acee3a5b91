"""The activities of cross-border exchange: compose a released export's notification (exactly the agreed data
set, to the partner of the destination country), deliver a stored message through the partner adapter, record a
delivery that failed for good, and record the export's exit state (the exchange workflow is its one writer)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from adapters.errors import AGENCY_REJECTED
from adapters.exchange_office import ExchangeOffice, NotAgreed
from adapters.partner import InboundRefused
from domain.exchange import ComposeResult, ExitRecord, ExportExchangeInput, FailDelivery, export_data_set, message_id
from store import agencies as agency_store
from store import clearances as clearance_store
from store import exchange as exchange_store
from store.db import Database
from workflows import options

log = structlog.get_logger("exchange")


class ExchangeActivities:
    def __init__(self, *, db: Database, office: ExchangeOffice, follow_up_days: float, due_days: float) -> None:
        self._db, self._office = db, office
        self._follow_up, self._due = follow_up_days * 86400, due_days * 86400

    def all(self) -> list[Callable[..., Any]]:
        return [self.start_export_exchange, self.deliver_exchange_message, self.fail_exchange_message, self.record_exit]

    @activity.defn(name=options.START_EXPORT_EXCHANGE)
    async def start_export_exchange(self, inp: ExportExchangeInput) -> ComposeResult:
        """The follow-up period, and the export notification stored for sending when the destination country has a
        partner administration with an agreement naming export notifications."""
        async with self._db.session() as session:
            view = await clearance_store.get_view(session, inp.mrn)
            if view is None:
                raise ApplicationError(f"no read model of {inp.mrn}", type="NotFound", non_retryable=True)
            country = view.declaration.country_of_destination
            partner = await agency_store.partner_for_country(session, country)
        result = ComposeResult(follow_up_seconds=self._follow_up, follow_up_due_seconds=self._due)
        if partner is None:
            return result.model_copy(update={"reason": f"no partner administration acts for {country}"})
        if not (await self._office.keys()).hosts(view.agency):
            return result.model_copy(update={"reason": f"this engine does not sign for {view.agency}"})
        try:
            agreement = self._office.agreement(partner.id, country, "export_notification")
        except NotAgreed as exc:
            return result.model_copy(update={"reason": str(exc), "partner": partner.id})
        payload = export_data_set(view.declaration, mrn=inp.mrn, released_at=inp.released_at, fields=agreement.data_set)
        row = await self._office.compose(
            kind="export_notification",
            mrn=inp.mrn,
            sender=view.agency,
            recipient=partner.id,
            payload=payload,
            msg_id=message_id(inp.mrn, "export_notification"),
        )
        return result.model_copy(update={"message_id": row.id, "partner": partner.id})

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
