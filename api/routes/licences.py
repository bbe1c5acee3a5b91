"""Export licences (reference data of the export-control agency) and the depletion protocol that the HTTP
licence-registry adapter speaks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import CurrentPrincipal, SessionDep
from api.service import licences as service
from domain.licence import DepletionRequest, DepletionResult, LicenceCreate, LicenceView, RestoreRequest

router = APIRouter(prefix="/v1", tags=["licences"])


@router.post(
    "/licences",
    status_code=201,
    response_model=LicenceView,
    responses={409: {"description": "a licence with this reference exists"}},
)
async def register_licence(licence: LicenceCreate, principal: CurrentPrincipal, session: SessionDep) -> JSONResponse:
    view = await service.register(session=session, principal=principal, request=licence)
    return JSONResponse(
        status_code=201, content=view.model_dump(mode="json"), headers={"Location": f"/v1/licences/{view.reference}"}
    )


@router.get(
    "/licences/{reference}",
    response_model=LicenceView,
    summary="A licence with the remaining balance per item and its depletions by MRN",
)
async def get_licence(reference: str, principal: CurrentPrincipal, session: SessionDep) -> LicenceView:
    return await service.get_licence(session=session, principal=principal, reference=reference)


@router.post(
    "/licence-depletions",
    response_model=DepletionResult,
    summary="Deplete a covering licence for one goods item, exactly once per (MRN, item)",
)
async def deplete(request: DepletionRequest, principal: CurrentPrincipal, session: SessionDep) -> DepletionResult:
    return await service.deplete(session=session, principal=principal, request=request)


@router.post("/licence-depletions/restorations", summary="Give back every depletion of an MRN")
async def restore(request: RestoreRequest, principal: CurrentPrincipal, session: SessionDep) -> dict[str, Any]:
    return {"restored": await service.restore(session=session, principal=principal, request=request)}
