"""Webhook subscriptions per agency (or per declarant, for its own declarations) and their delivery log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.encoders import jsonable_encoder

from api.deps import CurrentPrincipal, ServicesDep
from api.responses import JSONResponse
from api.service import webhooks as service
from domain.webhooks import SIGNATURE_HEADER, SIGNATURE_SCHEME, WebhookCreate
from store.models import WebhookSubscription

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


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


@router.post("", status_code=201, summary="Subscribe a URL to clearance events (bodies signed with the secret)")
async def subscribe(body: WebhookCreate, principal: CurrentPrincipal, services: ServicesDep) -> JSONResponse:
    created = await service.subscribe(services=services, principal=principal, request=body)
    return JSONResponse(
        status_code=201, content=jsonable_encoder(_body(created)), headers={"Location": f"/v1/webhooks/{created.id}"}
    )


@router.get("", summary="The caller's agency's subscriptions")
async def list_subscriptions(principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    rows = await service.subscriptions(services=services, principal=principal)
    return {"items": [_body(s) for s in rows]}


@router.delete("/{subscription_id}", status_code=204, summary="Stop delivering to a subscription")
async def unsubscribe(subscription_id: str, principal: CurrentPrincipal, services: ServicesDep) -> None:
    await service.unsubscribe(services=services, principal=principal, subscription_id=subscription_id)


@router.get("/{subscription_id}/deliveries", summary="The delivery log: each event, attempts and last answer")
async def deliveries(
    subscription_id: str,
    principal: CurrentPrincipal,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    rows = await service.deliveries(
        services=services, principal=principal, subscription_id=subscription_id, limit=limit
    )
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
