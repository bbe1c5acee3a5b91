"""Export licences (reference data of the export-control agency) and the depletion protocol that the HTTP
licence-registry adapter speaks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import CurrentPrincipal, SessionDep, WriterDep
from api.responses import JSONResponse
from api.service import licences as service
from domain.licence import (
    DepletionRequest,
    DepletionResult,
    LicenceAmendment,
    LicenceCreate,
    LicenceLedger,
    LicenceStateChange,
    LicenceView,
    RestoreRequest,
)

router = APIRouter(prefix="/v1", tags=["licences"])


@router.post(
    "/licences",
    status_code=201,
    response_model=LicenceView,
    responses={409: {"description": "a licence with this reference exists"}},
)
async def register_licence(licence: LicenceCreate, principal: CurrentPrincipal, session: WriterDep) -> JSONResponse:
    view = await service.register(session=session, principal=principal, request=licence)
    return JSONResponse(
        status_code=201, content=view.model_dump(mode="json"), headers={"Location": f"/v1/licences/{view.reference}"}
    )


@router.get(
    "/licences/{reference}",
    response_model=LicenceView,
    summary="A licence with the remaining balance per item and its depletions by MRN",
)
async def get_licence(reference: str, principal: CurrentPrincipal, session: WriterDep) -> LicenceView:
    return await service.get_licence(session=session, principal=principal, reference=reference)


@router.patch(
    "/licences/{reference}",
    response_model=LicenceView,
    summary="Amend validity, destinations or item totals (the issuing authority's export-control officers)",
)
async def amend_licence(
    reference: str, amendment: LicenceAmendment, principal: CurrentPrincipal, session: WriterDep
) -> LicenceView:
    return await service.amend(session=session, principal=principal, reference=reference, amendment=amendment)


def _state_route(path: str, action: str, summary: str) -> None:
    async def change(
        reference: str, body: LicenceStateChange, principal: CurrentPrincipal, session: WriterDep
    ) -> LicenceView:
        return await service.change_state(
            session=session, principal=principal, reference=reference, action=action, reason=body.reason
        )

    change.__name__ = f"{action}_licence"
    router.post(f"/licences/{{reference}}/{path}", response_model=LicenceView, summary=summary)(change)


_state_route("suspension", "suspend", "Suspend a licence: no new depletion until it is reinstated")
_state_route("reinstatement", "reinstate", "Reinstate a suspended licence")
_state_route("revocation", "revoke", "Revoke a licence for good")


@router.get(
    "/licences/{reference}/ledger",
    response_model=LicenceLedger,
    summary="The live consumption ledger: each depletion and restoration with the balance after it",
)
async def licence_ledger(reference: str, principal: CurrentPrincipal, session: SessionDep) -> LicenceLedger:
    return await service.ledger(session=session, principal=principal, reference=reference)


@router.post(
    "/licence-depletions",
    response_model=DepletionResult,
    summary="Deplete a covering licence for one goods item, exactly once per (MRN, item)",
)
async def deplete(request: DepletionRequest, principal: CurrentPrincipal, session: WriterDep) -> DepletionResult:
    return await service.deplete(session=session, principal=principal, request=request)


@router.post("/licence-depletions/restorations", summary="Give back every depletion of an MRN")
async def restore(request: RestoreRequest, principal: CurrentPrincipal, session: WriterDep) -> dict[str, Any]:
    return {"restored": await service.restore(session=session, principal=principal, request=request)}
