"""Human tasks: the inbox, claiming and completing (both are Updates on the workflow that owns the task)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from api import metrics
from api.deps import TASK_ROLES, CurrentPrincipal, ServicesDep, actor, require_role
from api.errors import ApiError, forbidden, invalid, not_found
from api.updates import send_update
from domain.clearance import (
    MAX_COMMENT_CHARS,
    ClaimTask,
    CommentAdded,
    CommentTask,
    CompleteTask,
    HandOverTask,
    Task,
    UnclaimTask,
)
from domain.inspection import Findings
from store import clearances as clearance_store
from store.models import Principal
from workflows.human import HumanTasks

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])


def _well_formed_findings(findings: dict[str, Any] | None) -> dict[str, Any] | None:
    """Checked against `Findings` here, so every problem comes back at once with its path; passed on as sent."""
    if findings is not None:
        Findings.model_validate(findings)
    return findings


class CompletionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=1, max_length=2000)
    reason_code: str | None = Field(default=None, max_length=32, description="one of the task's `reason_codes`")
    findings: Annotated[dict[str, Any] | None, AfterValidator(_well_formed_findings)] = Field(
        default=None,
        description="an inspection's structured findings: `seals_checked`, `seal_numbers`, `counts` "
        "[{item_sequence, counted}], `discrepancies`, `evidence`, `note`; required (with what was checked) for "
        "`compliant`",
    )
    confirm_deviation: bool = Field(
        default=False,
        description="record a count beyond the task's `tolerance_pct` as compliant anyway (the clearance is then "
        "referred by the joint inspection); without it such a completion is refused with 422",
    )


class HandOverRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(min_length=1, max_length=64, description="id of the principal who takes the task")
    reason: str = Field(min_length=1, max_length=2000)


class CommentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=MAX_COMMENT_CHARS)


def task_body(task: Task | dict[str, Any]) -> dict[str, Any]:
    data = task.model_dump(mode="json") if isinstance(task, Task) else task
    data.pop("version", None)
    return data


def actionable_roles(principal: Principal) -> list[str]:
    """The roles whose tasks the principal may act on at its agency: its own; a supervisor every task role (it may
    reassign, release and comment on any task of its agency)."""
    if "supervisor" in principal.roles:
        return list(TASK_ROLES)
    return [r for r in principal.roles if r in TASK_ROLES]


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
    require_role(principal, *TASK_ROLES)
    roles = actionable_roles(principal)
    if role is not None:
        if role not in roles:
            raise forbidden(f"you do not hold role {role}")
        roles = [role]
    async with services.db.session() as session:
        rows = await clearance_store.list_tasks(
            session, agency=principal.agency, roles=roles, state=None if state == "all" else state, mrn=mrn, limit=limit
        )
    return {"items": [task_body(dict(r.data)) for r in rows]}


@router.get(
    "/{task_id}",
    summary="One task, with its subject (the party, the inspection, the lane)",
    description="Visible to holders of the task's role at its agency, and to the agency's supervisors and auditors; "
    "404 for anyone else.",
)
async def get_task(task_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    require_role(principal, *TASK_ROLES, "auditor")
    async with services.db.session() as session:
        record = await clearance_store.get_task(session, task_id)
    if record is None or not may_see(principal, record.agency, record.role):
        raise not_found(f"task {task_id}")
    return task_body(dict(record.data))


def may_see(principal: Principal, agency: str, role: str) -> bool:
    """Candidates see a task: holders of its role at its agency; supervisors and auditors of the agency oversee all
    of its tasks. A customs inspector never sees an export-control task."""
    return agency == principal.agency and bool({role, "supervisor", "auditor"} & set(principal.roles))


@router.post("/{task_id}/claim", summary="Claim a task (409 if someone else holds it)")
async def claim(task_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    command = ClaimTask(task_id=task_id, actor=actor(principal))
    return await _act(services, principal, task_id, HumanTasks.claim_task, command, "claim", holder_only=True)


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
    command = CompleteTask(
        task_id=task_id,
        actor=actor(principal),
        outcome=body.outcome,
        reason=body.reason,
        reason_code=body.reason_code,
        findings=body.findings,
        confirm_deviation=body.confirm_deviation,
    )
    return await _act(services, principal, task_id, HumanTasks.complete_task, command, "complete", holder_only=True)


async def _act(
    services: ServicesDep,
    principal: Principal,
    task_id: str,
    update: Any,
    command: Any,
    action: str,
    *,
    holder_only: bool = False,
) -> dict[str, Any]:
    """Send a task action to the workflow that owns the task; the workflow's validator has the last word."""
    async with services.db.session() as session:
        record = await clearance_store.get_task(session, task_id)
    if record is None or record.agency != principal.agency:
        raise not_found(f"task {task_id}")
    if holder_only and record.role not in principal.roles:
        raise forbidden(f"task {task_id} is for role {record.role}")
    result_type = CommentAdded if update is HumanTasks.comment_task else Task
    try:
        answer: Task | CommentAdded = await send_update(services, record.workflow_id, update, command, result_type)
    except ApiError as exc:
        metrics.TASK_ACTIONS.labels(action, str(exc.status)).inc()
        raise
    metrics.TASK_ACTIONS.labels(action, "200").inc()
    # Updates answer without the task's earlier comments (history stays linear); they are in the read model.
    comments = list(record.data.get("comments") or [])
    if isinstance(answer, CommentAdded):
        body = task_body(dict(record.data))
        body["comments"] = [*comments, answer.comment.model_dump(mode="json")]
        return body
    body = task_body(answer)
    body["comments"] = comments
    return body


@router.post("/{task_id}/unclaim", summary="Give a claimed task back to the pool (its holder or a supervisor)")
async def unclaim(task_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    return await _act(
        services,
        principal,
        task_id,
        HumanTasks.unclaim_task,
        UnclaimTask(task_id=task_id, actor=actor(principal)),
        "unclaim",
    )


async def _hand_over(
    services: ServicesDep, principal: Principal, task_id: str, body: HandOverRequest, delegation: bool
) -> dict[str, Any]:
    async with services.db.session() as session:
        target = await session.get(Principal, body.to)
    if target is None:
        raise invalid(["body", "to"], f"no principal {body.to}")
    command = HandOverTask(
        task_id=task_id, actor=actor(principal), to=actor(target), reason=body.reason, delegation=delegation
    )
    action = "delegate" if delegation else "reassign"
    return await _act(services, principal, task_id, HumanTasks.hand_over_task, command, action)


@router.post("/{task_id}/reassign", summary="A supervisor assigns the task to another holder of its role")
async def reassign(
    task_id: str, body: HandOverRequest, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    return await _hand_over(services, principal, task_id, body, delegation=False)


@router.post("/{task_id}/delegate", summary="The assignee hands the task to another holder of its role, with a reason")
async def delegate(
    task_id: str, body: HandOverRequest, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    return await _hand_over(services, principal, task_id, body, delegation=True)


@router.post(
    "/{task_id}/comments",
    summary="Comment on a task (holders of its role and supervisors)",
    description="At most 100 comments per task (409 beyond) of at most 2000 characters each. Answers with the task.",
    responses={409: {"description": "the task has the most comments it takes"}},
)
async def comment(
    task_id: str, body: CommentRequest, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    return await _act(
        services,
        principal,
        task_id,
        HumanTasks.comment_task,
        CommentTask(task_id=task_id, actor=actor(principal), text=body.text),
        "comment",
    )
