"""Reading clearances, invalidating a declaration, officers' actions (re-route, hold, inspection schedule), and
fetching issued documents."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from api.deps import CurrentPrincipal, ServicesDep
from api.service import clearances as service
from api.waiting import MAX_WAIT_SECONDS
from domain.actions import HoldRequest, InvalidationRequest, RerouteRequest, ScheduleRequest
from domain.clearance import ClearanceView

router = APIRouter(prefix="/v1/clearances", tags=["clearances"])
__all__ = ["HoldRequest", "InvalidationRequest", "RerouteRequest", "ScheduleRequest", "router"]


WAIT = Query(
    ge=0,
    description="wait up to this many seconds (at most 30; more is capped) while the clearance is `accepted` or "
    "`in_progress`: the answer comes as soon as it has an outcome or awaits a person's decision",
)


@router.get(
    "/{mrn}",
    summary="A clearance: status, stage, lane, outcome, evidence, decisions and timeline",
    response_model=dict[str, Any],
)
async def get_clearance(
    mrn: str, principal: CurrentPrincipal, services: ServicesDep, wait: Annotated[float | None, WAIT] = None
) -> Response:
    wait = min(wait, MAX_WAIT_SECONDS) if wait else 0
    found = await service.get_clearance(services=services, principal=principal, mrn=mrn, wait=wait)
    # Already JSON-ready: answered as is, not validated again against the response model (the declarants' polling
    # reads this route several times per clearance), encoded by pydantic rather than dumped to Python objects and
    # those to text; the audience's fields only (domain/audience.py)
    return Response(found.model_dump_json(exclude_unset=True), media_type="application/json")


@router.get("", summary="Clearances, newest first (declarants see their own only)")
async def list_clearances(
    principal: CurrentPrincipal,
    services: ServicesDep,
    status: Literal["accepted", "in_progress", "awaiting_decision", "completed", "invalidated"] | None = None,
    lane: Literal["green", "yellow", "red", "blue"] | None = None,
    stage: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    page = await service.list_clearances(
        services=services, principal=principal, status=status, lane=lane, stage=stage, limit=limit, cursor=cursor
    )
    return page.model_dump()


@router.post(
    "/{mrn}/invalidation",
    summary="Invalidate a declaration before release or referral",
    responses={409: {"description": "the clearance already has an outcome"}},
)
async def invalidate(
    mrn: str, body: InvalidationRequest, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    view = await service.invalidate(services=services, principal=principal, mrn=mrn, request=body)
    return {
        "mrn": view.mrn,
        "status": view.status.value,
        "outcome": view.outcome.value if view.outcome else None,
        "documents": [d.model_dump() for d in view.documents],
        "links": {"self": f"/v1/clearances/{mrn}"},
    }


def _view(view: ClearanceView) -> dict[str, Any]:
    return view.model_dump(mode="json")


OFFICER_ACTION_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"description": "the caller's role or agency may not take this action"},
    409: {"description": "the clearance is in no state for it (concluded, no lane yet, not on hold, ...)"},
    422: {"description": "a missing reason or an invalid field, named in `errors[].loc`"},
}


@router.post(
    "/{mrn}/lane",
    summary="Re-route the clearance to another lane before its outcome, with a reason",
    description="Customs officers and supervisors may move a clearance to a stricter lane; only a supervisor to a "
    "less strict one. The steps after the risk step follow the new lane: open tasks of the current step are "
    "cancelled, steps already done stay done. Recorded as a decision and as a `lane_assigned` audit event.",
    responses=OFFICER_ACTION_RESPONSES,
)
async def reroute(mrn: str, body: RerouteRequest, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    return _view(await service.reroute(services=services, principal=principal, mrn=mrn, request=body))


@router.post(
    "/{mrn}/hold",
    summary="Put the clearance on hold: it moves to no further step and no outcome until the hold is released",
    responses=OFFICER_ACTION_RESPONSES,
)
async def place_hold(mrn: str, body: HoldRequest, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    return _view(await service.place_hold(services=services, principal=principal, mrn=mrn, request=body))


@router.post(
    "/{mrn}/hold/release",
    summary="Release the hold (the officer who placed it, or a supervisor)",
    responses=OFFICER_ACTION_RESPONSES,
)
async def release_hold(
    mrn: str, body: HoldRequest, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    return _view(await service.release_hold(services=services, principal=principal, mrn=mrn, request=body))


@router.put(
    "/{mrn}/inspection/schedule",
    summary="Schedule (or move) the joint inspection: time, place and participating agencies",
    description="Only while the joint inspection is in progress. The agencies are those the SOP's inspection step "
    "names (all of them when absent); the time must be in the future.",
    responses=OFFICER_ACTION_RESPONSES,
)
async def schedule_inspection(
    mrn: str, body: ScheduleRequest, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    return _view(await service.schedule_inspection(services=services, principal=principal, mrn=mrn, request=body))


@router.get("/{mrn}/audit", summary="The clearance's audit trail: every event with who and when, in order")
async def audit_trail(mrn: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    return (await service.audit_trail(services=services, principal=principal, mrn=mrn)).model_dump()


@router.get(
    "/{mrn}/documents/{kind}",
    response_class=HTMLResponse,
    summary="An issued document (release-notice, referral-notice, not-released-notice, invalidation-notice)",
)
async def get_document(mrn: str, kind: str, principal: CurrentPrincipal, services: ServicesDep) -> HTMLResponse:
    return HTMLResponse(await service.document(services=services, principal=principal, mrn=mrn, kind=kind))
