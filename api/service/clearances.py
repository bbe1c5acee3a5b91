"""Clearances: reading one (its read model, or the workflow's memo before it exists), listing, the audit trail and
documents; the declarant's invalidation and the officers' actions (re-route, hold, release, schedule), each an
Update whose validator asks `domain.policy` again and has the last word.

Shared by the JSON API (`api/routes/clearances.py`) and the console: keyword-only functions that take the principal
and a typed request and return typed models."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.clearance_access import ClearanceRef, find_clearance, provisional_view, settle, view_body
from api.deps import Services, actor
from api.errors import check, invalid, not_found
from api.service import exchange as exchange_service
from api.updates import send_update
from domain import audience, policy
from domain.actions import (
    HoldRequest,
    Invalidate,
    InvalidationRequest,
    PlaceHold,
    ReleaseHold,
    Reroute,
    RerouteRequest,
    ScheduleInspection,
    ScheduleRequest,
)
from domain.clearance import ClearanceView
from sop.model import InspectionStep
from store import clearances as clearance_store
from store import sops as sop_store
from store.models import Principal
from workflows.clearance import ClearanceWorkflow


class TaskSummary(BaseModel):
    """A task as a clearance's view lists it."""

    id: str
    kind: str
    role: str
    state: str
    assignee: str | None = None
    due_at: str | None = None
    created_at: str | None = None
    title: str | None = None
    outcome: str | None = None
    completed_by: str | None = None


class ClearanceRead(BaseModel):
    """What GET /v1/clearances/{mrn} answers: the view as its read model holds it (every field of
    `ClearanceView`; a read model written by an older release may lack newer ones), with its tasks. The fields
    the policy and the console's buttons look at are typed; the rest passes through as stored."""

    model_config = ConfigDict(extra="allow")
    mrn: str
    declarant_eori: str
    agency: str
    status: str
    stage: str
    lane: str | None = None
    outcome: str | None = None
    hold: dict[str, Any] | None = None
    tasks: list[TaskSummary] = []
    agencies: list[dict[str, Any]] = Field(default=[], description="each agency's standing on the clearance")

    @property
    def scope(self) -> policy.ClearanceScope:
        parties = tuple(str(s.get("agency")) for s in self.agencies)
        return policy.ClearanceScope(self.mrn, self.declarant_eori, self.agency, parties)

    @property
    def undecided(self) -> bool:
        return self.outcome is None and self.status not in ("completed", "invalidated")


class ClearancePage(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None


class AuditEntry(BaseModel):
    seq: int
    at: datetime
    kind: str
    actor: str | None
    detail: dict[str, Any]
    leaf_index: int = Field(description="the event's position in the verifiable audit log (`/v1/audit`)")
    leaf_hash: str = Field(description="its leaf hash, standard base64")


class AuditTrail(BaseModel):
    mrn: str
    events: list[AuditEntry]


async def get_clearance(*, services: Services, principal: Principal, mrn: str, wait: float = 0) -> ClearanceRead:
    ref = await find_clearance(services, principal, mrn)
    if wait:
        ref = await settle(services, ref, wait)
    reader = principal.agency if policy.is_reader(principal) else None
    body = provisional_view(ref) if ref.record is None else await view_body(services, ref.record, reader)
    if ref.record is not None and ref.record.revision > 0:
        # the messages with partner administrations are the agency's business; the exit is the declarant's too
        messages, exit_state = await exchange_service.clearance_exchange(
            services, mrn, ref.agency, messages=policy.is_reader(principal)
        )
        body["exchange"] = messages
        body["exit"] = exit_state
    return ClearanceRead.model_validate(audience.view_for(principal, body))


async def list_clearances(
    *,
    services: Services,
    principal: Principal,
    status: str | None = None,
    lane: str | None = None,
    stage: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> ClearancePage:
    """Newest first: a reader's agency's clearances, a declarant's own."""
    scope = policy.clearance_listing(principal)
    if isinstance(scope, policy.Refusal):
        check(scope)
        raise AssertionError  # pragma: no cover
    agency, declarant = scope
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
    return ClearancePage(items=[clearance_store.summary(r) for r in rows], next_cursor=next_cursor)


async def invalidate(
    *, services: Services, principal: Principal, mrn: str, request: InvalidationRequest
) -> ClearanceView:
    ref = await find_clearance(services, principal, mrn)
    check(policy.may_invalidate(principal, ref.scope))
    command = Invalidate(actor=actor(principal), reason=request.reason)
    view: ClearanceView = await send_update(
        services, ref.workflow_id, ClearanceWorkflow.invalidate, command, ClearanceView
    )
    return view


async def _officer_action(services: Services, ref: ClearanceRef, update: Any, command: Any) -> ClearanceView:
    """An officer's action is an Update on the clearance; its validator decides (403, 409, 422) before any record."""
    view: ClearanceView = await send_update(services, ref.workflow_id, update, command, ClearanceView)
    return view


async def reroute(*, services: Services, principal: Principal, mrn: str, request: RerouteRequest) -> ClearanceView:
    ref = await find_clearance(services, principal, mrn)
    check(policy.may_reroute(principal, ref.scope))
    command = Reroute(actor=actor(principal), **request.model_dump())
    return await _officer_action(services, ref, ClearanceWorkflow.reroute, command)


async def place_hold(*, services: Services, principal: Principal, mrn: str, request: HoldRequest) -> ClearanceView:
    ref = await find_clearance(services, principal, mrn)
    check(policy.may_place_hold(principal, ref.scope))
    command = PlaceHold(actor=actor(principal), reason=request.reason)
    return await _officer_action(services, ref, ClearanceWorkflow.place_hold, command)


async def release_hold(*, services: Services, principal: Principal, mrn: str, request: HoldRequest) -> ClearanceView:
    ref = await find_clearance(services, principal, mrn)
    check(policy.may_release_hold(principal, ref.scope))
    command = ReleaseHold(actor=actor(principal), reason=request.reason)
    return await _officer_action(services, ref, ClearanceWorkflow.release_hold, command)


async def schedule_inspection(
    *, services: Services, principal: Principal, mrn: str, request: ScheduleRequest
) -> ClearanceView:
    """The workflow knows the inspection's roles; it decides who may schedule it."""
    ref = await find_clearance(services, principal, mrn)
    command = ScheduleInspection(actor=actor(principal), **request.model_dump())
    return await _officer_action(services, ref, ClearanceWorkflow.schedule_inspection, command)


async def audit_trail(*, services: Services, principal: Principal, mrn: str) -> AuditTrail:
    ref = await find_clearance(services, principal, mrn)
    check(policy.may_read_audit(principal, ref.scope))
    async with services.db.session() as session:
        events = await clearance_store.audit_trail(session, ref.mrn)
    return AuditTrail(
        mrn=ref.mrn,
        events=[
            AuditEntry(
                seq=e.seq,
                at=e.at,
                kind=e.kind,
                actor=e.actor,
                detail=e.detail,
                leaf_index=e.leaf_index,
                leaf_hash=base64.b64encode(e.leaf_hash).decode(),
            )
            for e in events
        ],
    )


async def document(*, services: Services, principal: Principal, mrn: str, kind: str) -> str:
    """An issued document's HTML (release notice, ...), for whoever may read the clearance."""
    await find_clearance(services, principal, mrn)
    async with services.db.session() as session:
        found = await clearance_store.get_document(session, mrn, kind)
    if found is None:
        raise not_found(f"document {kind} of clearance {mrn}")
    return found.html


async def inspection_roles(*, services: Services, clearance: ClearanceRead) -> tuple[list[str], list[str]] | None:
    """The agencies and roles of the joint inspection the clearance's pinned SOP names (None: none named)."""
    sop = getattr(clearance, "sop", None) or {}
    async with services.db.session() as session:
        published = await sop_store.get(session, str(sop.get("name")), int(sop.get("version") or 0))
    if published is None:
        return None
    steps = [s for s in published.definition.steps if isinstance(s, InspectionStep)]
    if not steps:
        return None
    return [a.agency for s in steps for a in s.agencies], [a.role for s in steps for a in s.agencies]
