"""The agency registry as the contract shows it: `GET /v1/agencies` → `{items: [{id, kind, country, name}]}` for
any authenticated principal; `GET /v1/agencies/{id}` adds the countries it acts for and its public signing keys
(what a partner needs to verify its messages)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from api.deps import CurrentPrincipal, SessionDep
from store import agencies

router = APIRouter(prefix="/v1/agencies", tags=["agencies"])


@router.get("", summary="The agencies that take part in clearances: customs, export control, partner customs")
async def list_agencies(principal: CurrentPrincipal, session: SessionDep) -> dict[str, Any]:
    return {"items": [a.public() for a in await agencies.all_agencies(session)]}


@router.get("/{agency_id}", summary="One agency, with the countries it acts for and its public signing keys")
async def get_agency(agency_id: str, principal: CurrentPrincipal, session: SessionDep) -> dict[str, Any]:
    agency = await agencies.get(session, agency_id)
    if agency is None:
        raise HTTPException(status_code=404, detail=f"agency {agency_id} not found")
    return {**agency.public(), "countries": agency.acts_for, "keys": [k.model_dump() for k in agency.keys]}
