"""Export licences (reference data of the export-control agency) and the depletion protocol that the HTTP
licence-registry adapter speaks."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import CurrentPrincipal, SessionDep, require_role
from api.errors import ApiError, forbidden, not_found
from domain.licence import DepletionRequest, DepletionResult, LicenceCreate, LicenceView, RestoreRequest
from store import licences as licence_store

router = APIRouter(prefix="/v1", tags=["licences"])
LICENCE_READERS = ("customs_officer", "export_control_officer", "inspector", "supervisor", "auditor", "admin")


@router.post(
    "/licences",
    status_code=201,
    response_model=LicenceView,
    responses={409: {"description": "a licence with this reference exists"}},
)
async def register_licence(licence: LicenceCreate, principal: CurrentPrincipal, session: SessionDep) -> JSONResponse:
    require_role(principal, "export_control_officer")
    try:
        view = await licence_store.register(session, licence, by=principal.id)
    except licence_store.LicenceExists as exc:
        raise ApiError(409, f"licence {licence.reference} already exists") from exc
    return JSONResponse(
        status_code=201, content=view.model_dump(mode="json"), headers={"Location": f"/v1/licences/{view.reference}"}
    )


@router.get(
    "/licences/{reference}",
    response_model=LicenceView,
    summary="A licence with the remaining balance per item and its depletions by MRN",
)
async def get_licence(reference: str, principal: CurrentPrincipal, session: SessionDep) -> LicenceView:
    view = await licence_store.get_view(session, reference, today=date.today())
    if view is None:
        raise not_found(f"licence {reference}")
    if not (set(principal.roles) & set(LICENCE_READERS) or (principal.eori and principal.eori == view.holder_eori)):
        raise forbidden("only officers and the licence holder may read a licence")
    return view


@router.post(
    "/licence-depletions",
    response_model=DepletionResult,
    summary="Deplete a covering licence for one goods item, exactly once per (MRN, item)",
)
async def deplete(request: DepletionRequest, principal: CurrentPrincipal, session: SessionDep) -> DepletionResult:
    require_role(principal, "export_control_officer", "admin")
    return await licence_store.deplete(session, request)


@router.post("/licence-depletions/restorations", summary="Give back every depletion of an MRN")
async def restore(request: RestoreRequest, principal: CurrentPrincipal, session: SessionDep) -> dict[str, Any]:
    require_role(principal, "export_control_officer", "admin")
    return {"restored": await licence_store.restore(session, mrn=request.mrn, reason=request.reason)}
