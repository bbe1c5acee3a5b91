"""The representation register: which declarant may lodge for which exporter. Thin: parse, call
`api.service.trade`, serialise."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import CurrentPrincipal, SessionDep, WriterDep
from api.service import trade as service
from domain.trade import RepresentationCreate, RepresentationView

router = APIRouter(prefix="/v1", tags=["trade registers"])


@router.post(
    "/representations",
    status_code=201,
    response_model=RepresentationView,
    summary="Register that a declarant may lodge for an exporter (direct or indirect representation)",
)
async def register_representation(
    body: RepresentationCreate, principal: CurrentPrincipal, session: WriterDep
) -> RepresentationView:
    return await service.register(session=session, principal=principal, request=body)


@router.get("/representations", summary="The representation register (a declarant: its own entries)")
async def list_representations(
    principal: CurrentPrincipal,
    session: SessionDep,
    declarant_eori: str | None = None,
    exporter_eori: str | None = None,
) -> dict[str, Any]:
    items = await service.listing(
        session=session, principal=principal, declarant_eori=declarant_eori, exporter_eori=exporter_eori
    )
    return {"items": [i.model_dump(mode="json") for i in items]}


@router.delete(
    "/representations/{representation_id}",
    response_model=RepresentationView,
    summary="End a representation (kept in the register with who removed it and when)",
)
async def remove_representation(
    representation_id: str, principal: CurrentPrincipal, session: WriterDep
) -> RepresentationView:
    return await service.remove(session=session, principal=principal, representation_id=representation_id)
