"""Cross-border exchange between customs administrations (contract: "Agencies and cross-border exchange").

`GET /v1/exchange/messages`, a partner's control result and answer, customs' mutual-assistance request and exit
confirmation, and `POST /exchange/inbound` — where another engine delivers a signed message (compact JWS,
`Content-Type: application/jose`): the signature against the sender's registered key is its authentication, so
it takes no bearer token and lives outside `/v1`; anything that does not verify is refused (4xx) and recorded as
rejected."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.deps import CurrentPrincipal, ServicesDep
from api.errors import ApiError
from api.service import exchange as service
from domain.exchange import (
    MESSAGE_KINDS,
    AnswerRequest,
    ControlResultRequest,
    ExitConfirmationRequest,
    MutualAssistanceRequest,
)

router = APIRouter(tags=["exchange"])
MAX_JWS_BYTES = 256 * 1024
JOSE_TYPES = ("application/jose", "application/jwt", "text/plain")


@router.get("/v1/exchange/messages", summary="Messages this agency sent to or received from partner administrations")
async def list_messages(
    principal: CurrentPrincipal,
    services: ServicesDep,
    mrn: Annotated[str | None, Query(min_length=18, max_length=18)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    if kind is not None and kind not in MESSAGE_KINDS:
        raise ApiError(422, f"kind must be one of {', '.join(MESSAGE_KINDS)}", loc=["query", "kind"])
    return {"items": await service.list_messages(services=services, principal=principal, mrn=mrn, kind=kind)}


@router.post(
    "/v1/exchange/messages/{message_id}/control-result",
    summary="The receiving partner returns the result of its control of a notified export",
)
async def control_result(
    message_id: str, body: ControlResultRequest, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    return await service.return_control_result(services=services, principal=principal, ident=message_id, request=body)


@router.post(
    "/v1/exchange/messages/{message_id}/answer", summary="The partner answers a mutual-assistance request it received"
)
async def answer(
    message_id: str, body: AnswerRequest, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    return await service.answer_assistance(services=services, principal=principal, ident=message_id, request=body)


@router.post(
    "/v1/clearances/{mrn}/mutual-assistance",
    summary="Customs asks the partner administration of the destination country for assistance",
)
async def mutual_assistance(
    mrn: str, body: MutualAssistanceRequest, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    return await service.request_assistance(services=services, principal=principal, mrn=mrn, request=body)


@router.post("/v1/clearances/{mrn}/exit", summary="Customs records that a released export has left (exit confirmed)")
async def confirm_exit(
    mrn: str, body: ExitConfirmationRequest, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    record = await service.confirm_exit(services=services, principal=principal, mrn=mrn, request=body)
    return record.model_dump(mode="json")


@router.post(
    "/exchange/inbound",
    summary="Another administration's engine delivers a signed message (compact JWS, EdDSA); answers its signed "
    "acknowledgement",
    responses={
        403: {"description": "the signature does not verify, the sender or key is unknown, or no agreement names it"},
        413: {"description": "larger than an exchange message may be"},
        415: {"description": "not sent as application/jose"},
        422: {"description": "not a compact JWS, or not a message of the exchange"},
    },
    openapi_extra={"requestBody": {"required": True, "content": {"application/jose": {"schema": {"type": "string"}}}}},
)
async def inbound(request: Request, services: ServicesDep) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in JOSE_TYPES:
        raise ApiError(415, "send the compact JWS with Content-Type: application/jose")
    raw = await request.body()
    if len(raw) > MAX_JWS_BYTES:
        raise ApiError(413, "the message is larger than an exchange message may be")
    try:
        token = raw.decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise ApiError(422, "a compact JWS is ASCII", loc=["body"]) from exc
    if not token:
        raise ApiError(422, "the body is empty: send the compact JWS", loc=["body"])
    return await service.receive_inbound(services=services, token=token)
