"""Human tasks: the inbox, claiming and completing (both are Updates on the workflow that owns the task).
Thin: parse, call `api.service.tasks`, serialise."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from api.deps import CurrentPrincipal, ServicesDep
from api.service import tasks as service
from domain.actions import CommentRequest, CompletionRequest, HandOverRequest
from domain.clearance import Task

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])
__all__ = ["CommentRequest", "CompletionRequest", "HandOverRequest", "router", "task_body"]


def task_body(task: Task | dict[str, Any]) -> dict[str, Any]:
    data = task.model_dump(mode="json") if isinstance(task, Task) else task
    data.pop("version", None)
    return data


@router.get(
    "",
    summary="Tasks the caller may act on at its agency, due first",
    description="Holders see the tasks of their roles; a supervisor sees every task of its agency and may filter "
    "by any `role` (403 for a role the caller neither holds nor supervises).",
)
async def list_tasks(
    principal: CurrentPrincipal,
    services: ServicesDep,
    state: Literal["open", "completed", "cancelled", "all"] = "open",
    role: Annotated[str | None, Query(max_length=40)] = None,
    mrn: Annotated[str | None, Query(max_length=18)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> dict[str, Any]:
    tasks = await service.list_tasks(
        services=services, principal=principal, state=state, role=role, mrn=mrn, limit=limit
    )
    return {"items": [task_body(t) for t in tasks]}


@router.get(
    "/{task_id}",
    summary="One task, with its subject (the party, the inspection, the lane)",
    description="Visible to holders of the task's role at its agency, and to the agency's supervisors and auditors; "
    "404 for anyone else.",
)
async def get_task(task_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    return task_body(await service.get_task(services=services, principal=principal, task_id=task_id))


@router.post("/{task_id}/claim", summary="Claim a task (409 if someone else holds it)")
async def claim(task_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    return task_body(await service.claim(services=services, principal=principal, task_id=task_id))


@router.post(
    "/{task_id}/complete",
    summary="Complete a task with an outcome and a reason (claiming it, if unclaimed, in the same Update)",
    description="For the assignee. An unclaimed task is claimed by the caller (a holder of its role) and completed "
    "in one Update, as the console does; a task someone else holds is refused (403). An inspection completed as "
    "`compliant` needs findings that say what was checked, and a count beyond the task's `tolerance_pct` needs "
    "`confirm_deviation: true`.",
    responses={
        403: {"description": "held by someone else, or a four-eyes violation"},
        409: {"description": "already completed"},
        422: {
            "description": "an outcome this task does not allow, missing or malformed findings, an unconfirmed "
            "count beyond the tolerance"
        },
    },
)
async def complete(
    task_id: str, body: CompletionRequest, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    return task_body(await service.complete(services=services, principal=principal, task_id=task_id, request=body))


@router.post("/{task_id}/unclaim", summary="Give a claimed task back to the pool (its holder or a supervisor)")
async def unclaim(task_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    return task_body(await service.unclaim(services=services, principal=principal, task_id=task_id))


@router.post("/{task_id}/reassign", summary="A supervisor assigns the task to another holder of its role")
async def reassign(
    task_id: str, body: HandOverRequest, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    return task_body(await service.reassign(services=services, principal=principal, task_id=task_id, request=body))


@router.post("/{task_id}/delegate", summary="The assignee hands the task to another holder of its role, with a reason")
async def delegate(
    task_id: str, body: HandOverRequest, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    return task_body(await service.delegate(services=services, principal=principal, task_id=task_id, request=body))


@router.post(
    "/{task_id}/comments",
    summary="Comment on a task (holders of its role and supervisors)",
    description="At most 100 comments per task (409 beyond) of at most 2000 characters each. Answers with the task.",
    responses={409: {"description": "the task has the most comments it takes"}},
)
async def comment(
    task_id: str, body: CommentRequest, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    return task_body(await service.comment(services=services, principal=principal, task_id=task_id, request=body))
