"""Webhook subscriptions per agency (or per declarant, for its own declarations) and their delivery log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from adapters.webhook_endpoints import EndpointPolicy, EndpointRefused, vet
from api.deps import READER_ROLES, CurrentPrincipal, ServicesDep, require_role
from api.errors import ApiError, invalid, not_found
from domain.webhooks import SIGNATURE_HEADER, SIGNATURE_SCHEME, WebhookCreate
from settings import Settings
from store import webhooks as webhook_store
from store.models import Principal, WebhookSubscription
from store.secrets import SecretBox, secret_box

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
SUBSCRIBERS = ("declarant", *READER_ROLES)


def _scope(principal: Principal) -> str | None:
    """Declarants subscribe to their own declarations; officers to their agency's clearances."""
    return principal.eori if not set(principal.roles) & set(READER_ROLES) else None


def _body(s: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": s.id,
        "url": s.url,
        "events": s.events,
        "agency": s.agency,
        "declarant_eori": s.declarant_eori,
        "created_at": s.created_at,
        "created_by": s.created_by,
        "signature": f"{SIGNATURE_HEADER}: {SIGNATURE_SCHEME}",
    }


def endpoint_policy(settings: Settings) -> EndpointPolicy:
    return EndpointPolicy(allow_http=settings.webhook_allow_http, allow_private=settings.webhook_allow_private)


def box_of(settings: Settings) -> SecretBox:
    return secret_box(settings.secrets_key, settings.secrets_key_file)


async def _own(services: ServicesDep, principal: Principal, subscription_id: str) -> WebhookSubscription:
    async with services.db.session() as session:
        found = await session.get(WebhookSubscription, subscription_id)
    if (
        found is None
        or not found.active
        or found.agency != principal.agency
        or (_scope(principal) is not None and found.declarant_eori != principal.eori)
    ):
        raise not_found(f"webhook subscription {subscription_id}")
    return found


@router.post("", status_code=201, summary="Subscribe a URL to clearance events (bodies signed with the secret)")
async def subscribe(body: WebhookCreate, principal: CurrentPrincipal, services: ServicesDep) -> JSONResponse:
    require_role(principal, *SUBSCRIBERS)
    settings = services.settings
    try:
        await vet(str(body.url), endpoint_policy(settings))
    except EndpointRefused as exc:
        raise invalid(["body", "url"], str(exc)) from exc
    cap = settings.webhook_max_subscriptions_per_agency
    try:
        async with services.db.writer() as session:
            created = await webhook_store.subscribe(
                session,
                body,
                agency=principal.agency,
                declarant_eori=_scope(principal),
                by=principal.id,
                box=box_of(settings),
                cap=cap,
            )
    except webhook_store.TooManySubscriptions as exc:
        raise ApiError(
            409, f"agency {principal.agency} holds {cap} subscriptions already (the most allowed); delete one first"
        ) from exc
    return JSONResponse(
        status_code=201, content=jsonable_encoder(_body(created)), headers={"Location": f"/v1/webhooks/{created.id}"}
    )


@router.get("", summary="The caller's agency's subscriptions")
async def list_subscriptions(principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    require_role(principal, *SUBSCRIBERS)
    async with services.db.session() as session:
        rows = await webhook_store.subscriptions(session, agency=principal.agency, declarant_eori=_scope(principal))
    return {"items": [_body(s) for s in rows]}


@router.delete("/{subscription_id}", status_code=204, summary="Stop delivering to a subscription")
async def unsubscribe(subscription_id: str, principal: CurrentPrincipal, services: ServicesDep) -> None:
    found = await _own(services, principal, subscription_id)
    async with services.db.writer() as session:
        await webhook_store.unsubscribe(session, found.id)


@router.get("/{subscription_id}/deliveries", summary="The delivery log: each event, attempts and last answer")
async def deliveries(
    subscription_id: str,
    principal: CurrentPrincipal,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    found = await _own(services, principal, subscription_id)
    async with services.db.session() as session:
        rows = await webhook_store.deliveries(session, found.id, limit=limit)
    return {
        "items": [
            {
                "id": d.id,
                "event": d.event,
                "mrn": d.mrn,
                "status": d.status,
                "attempts": d.attempts,
                "last_status_code": d.last_status_code,
                "last_error": d.last_error,
                "created_at": d.created_at,
                "delivered_at": d.delivered_at,
            }
            for d in rows
        ]
    }
