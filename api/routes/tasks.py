"""Human tasks: the inbox, claiming and completing (both are Updates on the workflow that owns the task)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api import metrics
from api.deps import TASK_ROLES, CurrentPrincipal, ServicesDep, actor, require_role
from api.errors import ApiError, forbidden, not_found
from api.updates import send_update
from domain.clearance import ClaimTask, CompleteTask, Task
from store import clearances as clearance_store
from store.models import Principal, TaskRecord
from workflows.human import HumanTasks

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])


class CompletionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=1, max_length=2000)
    findings: dict[str, Any] | None = None


def task_body(task: Task | dict[str, Any]) -> dict[str, Any]:
    data = task.model_dump(mode="json") if isinstance(task, Task) else task
    data.pop("version", None)
    return data


async def _task_for(services: ServicesDep, principal: Principal, task_id: str) -> TaskRecord:
    async with services.db.session() as session:
        record = await clearance_store.get_task(session, task_id)
    if record is None or record.agency != principal.agency:
        raise not_found(f"task {task_id}")
    if record.role not in principal.roles:
        raise forbidden(f"task {task_id} is for role {record.role}")
    return record


@router.get("", summary="Tasks for the caller's roles at the caller's agency, due first")
async def list_tasks(
    principal: CurrentPrincipal,
    services: ServicesDep,
    state: Literal["open", "completed", "cancelled", "all"] = "open",
    role: Annotated[str | None, Query(max_length=40)] = None,
    mrn: Annotated[str | None, Query(max_length=18)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> dict[str, Any]:
    require_role(principal, *TASK_ROLES)
    roles = [r for r in principal.roles if r in TASK_ROLES]
    if role is not None:
        if role not in roles:
            raise forbidden(f"you do not hold role {role}")
        roles = [role]
    async with services.db.session() as session:
        rows = await clearance_store.list_tasks(
            session, agency=principal.agency, roles=roles, state=None if state == "all" else state, mrn=mrn, limit=limit
        )
    return {"items": [task_body(dict(r.data)) for r in rows]}


@router.get("/{task_id}", summary="One task, with its subject (the party, the inspection, the lane)")
async def get_task(task_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    require_role(principal, *TASK_ROLES, "auditor")
    async with services.db.session() as session:
        record = await clearance_store.get_task(session, task_id)
    if record is None or record.agency != principal.agency:
        raise not_found(f"task {task_id}")
    return task_body(dict(record.data))


@router.post("/{task_id}/claim", summary="Claim a task (409 if someone else holds it)")
async def claim(task_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    record = await _task_for(services, principal, task_id)
    try:
        task: Task = await send_update(
            services,
            record.workflow_id,
            HumanTasks.claim_task,
            ClaimTask(task_id=task_id, actor=actor(principal)),
            Task,
        )
    except ApiError as exc:
        metrics.TASK_ACTIONS.labels("claim", str(exc.status)).inc()
        raise
    metrics.TASK_ACTIONS.labels("claim", "200").inc()
    return task_body(task)


@router.post(
    "/{task_id}/complete",
    summary="Complete a task with an outcome and a reason",
    responses={
        403: {"description": "not the assignee, or a four-eyes violation"},
        409: {"description": "already completed"},
        422: {"description": "an outcome this task does not allow"},
    },
)
async def complete(
    task_id: str, body: CompletionRequest, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    record = await _task_for(services, principal, task_id)
    command = CompleteTask(
        task_id=task_id, actor=actor(principal), outcome=body.outcome, reason=body.reason, findings=body.findings
    )
    try:
        task: Task = await send_update(services, record.workflow_id, HumanTasks.complete_task, command, Task)
    except ApiError as exc:
        metrics.TASK_ACTIONS.labels("complete", str(exc.status)).inc()
        if exc.status == 422:
            exc.loc = ["body", "outcome"] if "outcome" in exc.detail else ["body", "reason"]
        raise
    metrics.TASK_ACTIONS.labels("complete", "200").inc()
    return task_body(task)
