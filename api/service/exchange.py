"""Cross-border exchange, shared by the JSON API (`api/routes/exchange.py`) and the console: the messages an
agency sent and received, a partner's control result and answer to a mutual-assistance request, customs' request
for assistance and its confirmation of an export's exit, and the inbound endpoint another engine delivers to.

Every message is composed and signed by the exchange office (`adapters/exchange_office.py`), stored before it is
sent, and delivered by an `ExchangeDelivery` workflow (durable retries)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.client import WorkflowExecutionStatus
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from adapters.exchange_office import ExchangeOffice, NotAgreed
from adapters.partner import InboundRefused
from api.clearance_access import find_clearance
from api.deps import Services
from api.errors import ApiError, check, not_found, temporal_unreachable, unavailable
from api.updates import send_update
from domain import policy
from domain.exchange import (
    AnswerRequest,
    ConfirmExit,
    ControlResultRequest,
    ExitConfirmationRequest,
    ExitRecord,
    MutualAssistanceRequest,
    delivery_workflow_id,
    exchange_workflow_id,
    message_id,
)
from store import agencies as agency_store
from store import exchange as exchange_store
from store.models import ExchangeMessage, Principal, utcnow
from workflows.exchange import ExchangeDeliveryWorkflow, ExportExchangeWorkflow


def office(services: Services) -> ExchangeOffice:
    assert services.exchange is not None, "the API's exchange office is opened at start"
    return services.exchange


async def list_messages(
    *, services: Services, principal: Principal, mrn: str | None = None, kind: str | None = None
) -> list[dict[str, Any]]:
    check(policy.may_read_exchange(principal))
    async with services.db.session() as session:
        rows = await exchange_store.visible_to(session, principal.agency, mrn=mrn, kind=kind)
    return [exchange_store.public(r) for r in rows]


async def clearance_exchange(
    services: Services, mrn: str, agency: str, *, messages: bool = True
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """A clearance's messages with partner administrations (as its agency sees them; none read with
    `messages=False`) and its exit state."""
    rows: list[ExchangeMessage] = []
    if messages:
        async with services.db.reader() as session:
            rows = await exchange_store.visible_to(session, agency, mrn=mrn)
    exit_row = await exchange_store.read_exit(services.db, mrn)
    listed = [
        exchange_store.summary(r, agency) for r in sorted(rows, key=lambda r: r.sent_at) if r.status != "rejected"
    ]
    exit_view = None
    if exit_row is not None:
        exit_view = {
            "status": exit_row.status,
            "confirmed_at": exchange_store._ts(exit_row.confirmed_at),
            "follow_up_at": exchange_store._ts(exit_row.follow_up_at),
            "task_id": exit_row.task_id,
        }
    return listed, exit_view


async def _received(services: Services, principal: Principal, ident: str) -> ExchangeMessage:
    check(policy.needs_role(principal, policy.PARTNER_OFFICERS))  # the role first: 403 before 404
    async with services.db.session() as session:
        row = await exchange_store.find_received(session, ident)
    if row is None or row.to_agency != principal.agency:
        raise not_found(f"message {ident}")
    return row


async def _send(services: Services, **compose: Any) -> dict[str, Any]:
    """Store the signed message, then start its delivery (the same message id starts one delivery only)."""
    try:
        row = await office(services).compose(**compose)
    except NotAgreed as exc:
        raise ApiError(409, str(exc)) from exc
    except KeyError as exc:
        raise ApiError(409, str(exc.args[0] if exc.args else exc)) from exc
    if row.status == "pending":
        # stored first, then its delivery started: a request repeated after a 503 finds the message (same id for a
        # reply) and starts the delivery it may have missed; a delivery already started is not started again
        try:
            await services.temporal.start_workflow(
                ExchangeDeliveryWorkflow.run,
                row.id,
                id=delivery_workflow_id(row.id),
                task_queue=services.settings.temporal_task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            pass  # delivered, or being delivered
        except Exception as exc:
            if temporal_unreachable(exc) or isinstance(exc, RPCError):
                raise unavailable("the message is stored but its delivery could not be started; retry") from exc
            raise
    return exchange_store.public(row)


async def return_control_result(
    *, services: Services, principal: Principal, ident: str, request: ControlResultRequest
) -> dict[str, Any]:
    """The receiving partner's officers: the result of their control of the notified export, to the sender."""
    row = await _received(services, principal, ident)
    check(policy.may_return_control_result(principal, row))
    reply_id = message_id(row.mrn, "control_result", row.id)
    async with services.db.session() as session:
        sent = await exchange_store.get(session, reply_id, "out")
    if sent is not None and sent.payload.get("result") != request.result:
        raise ApiError(409, f"a control result ({sent.payload.get('result')}) was already returned for {ident}")
    payload = {"result": request.result, "note": request.note, "notification": row.id, "officer": principal.id}
    return await _send(
        services,
        kind="control_result",
        mrn=row.mrn,
        sender=principal.agency,
        recipient=row.from_agency,
        payload=payload,
        in_reply_to=row.id,
        actor=principal.id,
        msg_id=reply_id,
    )


async def answer_assistance(
    *, services: Services, principal: Principal, ident: str, request: AnswerRequest
) -> dict[str, Any]:
    row = await _received(services, principal, ident)
    check(policy.may_answer_assistance(principal, row))
    reply_id = message_id(row.mrn, "mutual_assistance_answer", row.id)
    async with services.db.session() as session:
        if await exchange_store.get(session, reply_id, "out") is not None:
            raise ApiError(409, f"request {ident} was already answered")
    payload = {
        "request": row.id,
        "answering_authority": principal.agency,
        "officer": principal.id,
        **request.model_dump(mode="json"),
    }
    return await _send(
        services,
        kind="mutual_assistance_answer",
        mrn=row.mrn,
        sender=principal.agency,
        recipient=row.from_agency,
        payload=payload,
        in_reply_to=row.id,
        actor=principal.id,
        msg_id=reply_id,
    )


async def request_assistance(
    *, services: Services, principal: Principal, mrn: str, request: MutualAssistanceRequest
) -> dict[str, Any]:
    """Customs asks the partner of the destination country for assistance about one of its clearances."""
    ref = await find_clearance(services, principal, mrn)
    check(policy.may_request_assistance(principal, ref.scope))
    destination = (ref.record.view.get("declaration") or {}).get("country_of_destination") if ref.record else None
    async with services.db.session() as session:
        partner = await agency_store.partner_for_country(session, destination) if destination else None
    if partner is None:
        raise ApiError(409, f"no partner administration acts for the destination country {destination}")
    payload = {"requesting_authority": ref.agency, "requested_by": principal.id, **request.model_dump(mode="json")}
    return await _send(
        services,
        kind="mutual_assistance_request",
        mrn=mrn,
        sender=ref.agency,
        recipient=partner.id,
        payload=payload,
        actor=principal.id,
    )


async def confirm_exit(
    *, services: Services, principal: Principal, mrn: str, request: ExitConfirmationRequest
) -> ExitRecord:
    ref = await find_clearance(services, principal, mrn)
    check(policy.may_confirm_exit(principal, ref.scope))
    if ref.record is None or ref.record.outcome != "released":
        raise ApiError(409, f"clearance {mrn} is not released: there is no exit to confirm")
    command = ConfirmExit(**request.model_dump(), actor_id=principal.id, actor_agency=principal.agency)
    async with services.db.session() as session:
        row = await exchange_store.get_exit(session, mrn)
    if row is not None and row.status in ("confirmed", "not_exited"):
        raise ApiError(409, f"the exit of {mrn} is already {row.status}")
    workflow_id = exchange_workflow_id(mrn)
    if row is not None and row.status == "awaiting_exit" and not await _running(services, workflow_id):
        # awaited in the store only (no follow-up yet): one conditional write; a follow-up that took the exit
        # meanwhile gets the confirmation as its Update instead
        async with services.db.writer() as session:
            confirmed = await exchange_store.confirm_awaited_exit(
                session,
                mrn,
                confirmed_at=command.exited_at or utcnow(),
                confirmed_by=principal.id,
                office_of_exit=command.office_of_exit,
                note=command.note,
            )
            await session.commit()
        if confirmed is not None:
            return confirmed
    elif row is None and not await _running(services, workflow_id):
        raise ApiError(409, f"the exit of {mrn} is not followed yet (the release is being recorded); retry shortly")
    record: ExitRecord = await send_update(
        services, workflow_id, ExportExchangeWorkflow.confirm_exit, command, ExitRecord
    )
    return record


async def _running(services: Services, workflow_id: str) -> bool:
    """Whether a workflow follows this exit: the follow-up, or the exchange workflow of an older release."""
    try:
        described = await services.temporal.get_workflow_handle(workflow_id).describe(
            rpc_timeout=timedelta(seconds=services.settings.update_timeout_seconds)
        )
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        if temporal_unreachable(exc):
            raise unavailable() from exc
        raise
    except Exception as exc:
        if temporal_unreachable(exc):
            raise unavailable() from exc
        raise
    return described.status == WorkflowExecutionStatus.RUNNING


async def receive_inbound(*, services: Services, token: str) -> dict[str, Any]:
    """Another administration's engine delivers a signed message; refused (and recorded) unless it verifies."""
    try:
        ack = await office(services).receive(token)
    except InboundRefused as exc:
        raise ApiError(exc.status, exc.reason) from exc
    return {"status": "received", "acknowledgement": ack}
