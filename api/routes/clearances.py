"""Reading clearances, invalidating a declaration, officers' actions (re-route, hold, inspection schedule), and
fetching issued documents."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from api.clearance_access import find_clearance, may_read, provisional_view, settle, view_body
from api.deps import READER_ROLES, CurrentPrincipal, ServicesDep, actor, require_role
from api.errors import ApiError, invalid, not_found
from api.updates import send_update
from api.waiting import MAX_WAIT_SECONDS
from domain.clearance import (
    ClearanceView,
    InspectionTime,
    Invalidate,
    PlaceHold,
    ReleaseHold,
    Reroute,
    ScheduleInspection,
)
from sop.model import Lane
from store import clearances as clearance_store
from workflows.clearance import ClearanceWorkflow

router = APIRouter(prefix="/v1/clearances", tags=["clearances"])


class InvalidationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class RerouteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lane: Lane
    reason: str = Field(min_length=1, max_length=2000)


class HoldRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class ScheduleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: InspectionTime = Field(description="when the inspection takes place (RFC 3339 with an offset)")
    place: str = Field(min_length=1, max_length=200, description="where, e.g. the warehouse or examination bay")
    agencies: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(
        default=None, max_length=20, description="participating agencies (of the SOP's); all of them if absent"
    )
    note: str | None = Field(default=None, max_length=2000)


WAIT = Query(
    ge=0,
    description="wait up to this many seconds (at most 30; more is capped) while the clearance is `accepted` or "
    "`in_progress`: the answer comes as soon as it has an outcome or awaits a person's decision",
)


@router.get("/{mrn}", summary="A clearance: status, stage, lane, outcome, evidence, decisions and timeline")
async def get_clearance(
    mrn: str, principal: CurrentPrincipal, services: ServicesDep, wait: Annotated[float | None, WAIT] = None
) -> dict[str, Any]:
    ref = await find_clearance(services, principal, mrn)
    if wait:
        ref = await settle(services, ref, min(wait, MAX_WAIT_SECONDS))
    if ref.record is None:
        return provisional_view(ref)
    return await view_body(services, ref.record)


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
    if set(principal.roles) & set(READER_ROLES):
        agency, declarant = principal.agency, None
    elif "declarant" in principal.roles and principal.eori:
        agency, declarant = None, principal.eori
    else:
        require_role(principal, "declarant", *READER_ROLES)
        raise AssertionError  # pragma: no cover
    async with services.db.session() as session:
        try:
            rows, next_cursor = await clearance_store.list_clearances(
                session,
                agency=agency,
                declarant_eori=declarant,
                status=status,
                lane=lane,
                stage=stage,
                limit=limit,
                cursor=cursor,
            )
        except ValueError as exc:
            raise invalid(["query", "cursor"], str(exc)) from exc
    return {"items": [clearance_store.summary(r) for r in rows], "next_cursor": next_cursor}


@router.post(
    "/{mrn}/invalidation",
    summary="Invalidate a declaration before release or referral",
    responses={409: {"description": "the clearance already has an outcome"}},
)
async def invalidate(
    mrn: str, body: InvalidationRequest, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    ref = await find_clearance(services, principal, mrn)
    if not ("declarant" in principal.roles and principal.eori == ref.declarant_eori):
        raise ApiError(403, "only the declarant who lodged the declaration may invalidate it")
    view: ClearanceView = await send_update(
        services,
        ref.workflow_id,
        ClearanceWorkflow.invalidate,
        Invalidate(actor=actor(principal), reason=body.reason),
        ClearanceView,
    )
    return {
        "mrn": view.mrn,
        "status": view.status.value,
        "outcome": view.outcome.value if view.outcome else None,
        "documents": [d.model_dump() for d in view.documents],
        "links": {"self": f"/v1/clearances/{mrn}"},
    }


async def _officer_action(
    services: ServicesDep, principal: CurrentPrincipal, mrn: str, update: Any, command: Any
) -> dict[str, Any]:
    """An officer's action is an Update on the clearance; its validator decides (403, 409, 422) before any record."""
    ref = await find_clearance(services, principal, mrn)
    view: ClearanceView = await send_update(services, ref.workflow_id, update, command, ClearanceView)
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
    command = Reroute(actor=actor(principal), lane=body.lane, reason=body.reason)
    return await _officer_action(services, principal, mrn, ClearanceWorkflow.reroute, command)


@router.post(
    "/{mrn}/hold",
    summary="Put the clearance on hold: it moves to no further step and no outcome until the hold is released",
    responses=OFFICER_ACTION_RESPONSES,
)
async def place_hold(mrn: str, body: HoldRequest, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    command = PlaceHold(actor=actor(principal), reason=body.reason)
    return await _officer_action(services, principal, mrn, ClearanceWorkflow.place_hold, command)


@router.post(
    "/{mrn}/hold/release",
    summary="Release the hold (the officer who placed it, or a supervisor)",
    responses=OFFICER_ACTION_RESPONSES,
)
async def release_hold(
    mrn: str, body: HoldRequest, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    command = ReleaseHold(actor=actor(principal), reason=body.reason)
    return await _officer_action(services, principal, mrn, ClearanceWorkflow.release_hold, command)


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
    command = ScheduleInspection(
        actor=actor(principal), at=body.at, place=body.place, agencies=body.agencies, note=body.note
    )
    return await _officer_action(services, principal, mrn, ClearanceWorkflow.schedule_inspection, command)


@router.get("/{mrn}/audit", summary="The clearance's audit trail: every event with who and when, in order")
async def audit_trail(mrn: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    ref = await find_clearance(services, principal, mrn)
    if not set(principal.roles) & set(READER_ROLES):
        raise ApiError(403, "the audit trail is for officers, supervisors and auditors")
    async with services.db.session() as session:
        events = await clearance_store.audit_trail(session, ref.mrn)
    return {
        "mrn": ref.mrn,
        "events": [
            {
                "seq": e.seq,
                "at": e.at,
                "kind": e.kind,
                "actor": e.actor,
                "detail": e.detail,
                "leaf_index": e.leaf_index,
                "leaf_hash": base64.b64encode(e.leaf_hash).decode(),
            }
            for e in events
        ],
    }


@router.get(
    "/{mrn}/documents/{kind}",
    response_class=HTMLResponse,
    summary="An issued document (release-notice, referral-notice, not-released-notice, invalidation-notice)",
)
async def get_document(mrn: str, kind: str, principal: CurrentPrincipal, services: ServicesDep) -> HTMLResponse:
    ref = await find_clearance(services, principal, mrn)
    assert may_read(principal, declarant_eori=ref.declarant_eori, agency=ref.agency)
    async with services.db.session() as session:
        document = await clearance_store.get_document(session, mrn, kind)
    if document is None:
        raise not_found(f"document {kind} of clearance {mrn}")
    return HTMLResponse(document.html)
