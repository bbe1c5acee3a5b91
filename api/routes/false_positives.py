"""The register of known false positives of screening: recorded, listed and revoked by the agency's officers.
Thin: parse, call `api.service.false_positives`, serialise."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from api.deps import CurrentPrincipal, ServicesDep
from api.service import false_positives as service
from api.service.false_positives import FalsePositiveCreate, PartyRef, Revocation
from domain.actions import ListName

router = APIRouter(prefix="/v1/screening", tags=["screening"])
__all__ = ["FalsePositiveCreate", "PartyRef", "Revocation", "router"]


@router.post(
    "/false-positives",
    status_code=201,
    summary="Record that a party is not the list entry it resembles: screening no longer sends it to review",
)
async def record_false_positive(
    body: FalsePositiveCreate, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    return (await service.record(services=services, principal=principal, request=body)).model_dump()


@router.get("/false-positives", summary="The agency's register of known false positives, newest first")
async def list_false_positives(
    principal: CurrentPrincipal,
    services: ServicesDep,
    list_name: Annotated[ListName | None, Query(alias="list")] = None,
    entry_id: str | None = None,
    active: bool | None = None,
    state: Literal["active", "expired", "revoked", "void"] | None = None,
) -> dict[str, Any]:
    found = await service.register(
        services=services, principal=principal, list_name=list_name, entry_id=entry_id, active=active, state=state
    )
    return {"items": [f.model_dump() for f in found]}


@router.get("/false-positives/{fp_id}", summary="One register entry with its state")
async def get_false_positive(fp_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    return (await service.get(services=services, principal=principal, fp_id=fp_id)).model_dump()


@router.delete("/false-positives/{fp_id}", summary="Revoke a known false positive, with a reason")
async def revoke_false_positive(
    fp_id: str, body: Revocation, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    return (await service.revoke(services=services, principal=principal, fp_id=fp_id, request=body)).model_dump()
