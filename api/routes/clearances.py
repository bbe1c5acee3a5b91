"""Reading clearances, invalidating a declaration, and fetching issued documents."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from api.clearance_access import find_clearance, may_read, provisional_view
from api.deps import READER_ROLES, TASK_ROLES, CurrentPrincipal, ServicesDep, actor, require_role
from api.errors import ApiError, invalid, not_found
from api.updates import send_update
from domain.clearance import ClearanceView, Invalidate
from store import clearances as clearance_store
from workflows.clearance import ClearanceWorkflow

router = APIRouter(prefix="/v1/clearances", tags=["clearances"])


class InvalidationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


def _task_summary(data: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "kind", "role", "state", "assignee", "due_at", "created_at", "title", "outcome", "completed_by")
    return {k: data.get(k) for k in keys}


@router.get("/{mrn}", summary="A clearance: status, stage, lane, outcome, evidence, decisions and timeline")
async def get_clearance(mrn: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    ref = await find_clearance(services, principal, mrn)
    if ref.record is None:
        try:
            handle = services.temporal.get_workflow_handle(ref.workflow_id)
            view = await asyncio.wait_for(handle.query(ClearanceWorkflow.view), timeout=2.0)
            body = view.model_dump(mode="json")
            body["tasks"] = []
            return body
        except Exception:
            return provisional_view(ref)
    body = dict(ref.record.view)
    async with services.db.session() as session:
        tasks = await clearance_store.list_tasks(
            session, agency=ref.agency, roles=list(TASK_ROLES), state=None, mrn=mrn
        )
    body["tasks"] = [_task_summary(t.data) for t in tasks]
    return body


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


@router.get("/{mrn}/audit", summary="The clearance's audit trail: every event with who and when, in order")
async def audit_trail(mrn: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    ref = await find_clearance(services, principal, mrn)
    if not set(principal.roles) & set(READER_ROLES):
        raise ApiError(403, "the audit trail is for officers, supervisors and auditors")
    async with services.db.session() as session:
        events = await clearance_store.audit_trail(session, ref.mrn)
    return {
        "mrn": ref.mrn,
        "events": [{"seq": e.seq, "at": e.at, "kind": e.kind, "actor": e.actor, "detail": e.detail} for e in events],
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
