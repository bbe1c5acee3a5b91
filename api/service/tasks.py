"""Human tasks: the inbox, one task, and every action on a task (Updates on the workflow that owns it).

Shared by the JSON API (`api/routes/tasks.py`) and the console (`api/console/`): keyword-only functions that take
the principal and a typed request and return `Task` models. The rules are `domain.policy`'s; the service asks them
before sending (a quick refusal without a round trip), the workflow's validator asks them again and has the last
word (it sees the task as it is now)."""

from __future__ import annotations

from typing import Any, Literal

from api import metrics
from api.deps import Services, actor
from api.errors import ApiError, check, invalid, not_found
from api.updates import send_update
from domain import policy
from domain.actions import (
    ClaimTask,
    CommentRequest,
    CommentTask,
    CompleteTask,
    CompletionRequest,
    HandOverRequest,
    HandOverTask,
    UnclaimTask,
)
from domain.clearance import CommentAdded, Task
from store import clearances as clearance_store
from store.models import Principal
from workflows.human import HumanTasks

TaskState = Literal["open", "completed", "cancelled", "all"]


async def list_tasks(
    *,
    services: Services,
    principal: Principal,
    state: TaskState = "open",
    role: str | None = None,
    mrn: str | None = None,
    limit: int = 200,
) -> list[Task]:
    """The tasks the principal may act on at its agency (a supervisor: every task role), due first."""
    check(policy.may_list_tasks(principal, role))
    roles = [role] if role is not None else policy.task_roles_of(principal)
    async with services.db.session() as session:
        rows = await clearance_store.list_tasks(
            session, agency=principal.agency, roles=roles, state=None if state == "all" else state, mrn=mrn, limit=limit
        )
    return [Task.model_validate(r.data) for r in rows]


async def _load(services: Services, task_id: str) -> Task | None:
    async with services.db.session() as session:
        record = await clearance_store.get_task(session, task_id)
    return Task.model_validate(record.data) if record is not None else None


async def get_task(*, services: Services, principal: Principal, task_id: str) -> Task:
    check(policy.needs_role(principal, policy.TASK_READERS))
    task = await _load(services, task_id)
    if task is None:
        raise not_found(f"task {task_id}")
    check(policy.may_see_task(principal, task))
    return task


async def _send(
    services: Services, principal: Principal, task_id: str, update: Any, command: Any, action: str, *, holder: bool
) -> Task:
    """Send a task action to the workflow that owns the task; `holder`: only a holder of its role may."""
    task = await _load(services, task_id)
    if task is None:
        raise not_found(f"task {task_id}")
    check(policy.task_in_agency(principal, task))
    if holder:
        check(policy.holds_task_role(principal, task))
    result_type = CommentAdded if update is HumanTasks.comment_task else Task
    try:
        answer: Task | CommentAdded = await send_update(services, task.workflow_id, update, command, result_type)
    except ApiError as exc:
        metrics.TASK_ACTIONS.labels(action, str(exc.status)).inc()
        raise
    metrics.TASK_ACTIONS.labels(action, "200").inc()
    # Updates answer without the task's earlier comments (history stays linear); they are in the read model.
    if isinstance(answer, CommentAdded):
        return task.model_copy(update={"comments": [*task.comments, answer.comment]})
    return answer.model_copy(update={"comments": list(task.comments)})


async def claim(*, services: Services, principal: Principal, task_id: str) -> Task:
    command = ClaimTask(task_id=task_id, actor=actor(principal))
    return await _send(services, principal, task_id, HumanTasks.claim_task, command, "claim", holder=True)


async def complete(*, services: Services, principal: Principal, task_id: str, request: CompletionRequest) -> Task:
    """Complete the task; an unclaimed one is claimed by the caller in the same Update."""
    command = CompleteTask(task_id=task_id, actor=actor(principal), **request.model_dump())
    return await _send(services, principal, task_id, HumanTasks.complete_task, command, "complete", holder=True)


async def unclaim(*, services: Services, principal: Principal, task_id: str) -> Task:
    command = UnclaimTask(task_id=task_id, actor=actor(principal))
    return await _send(services, principal, task_id, HumanTasks.unclaim_task, command, "unclaim", holder=False)


async def _hand_over(
    services: Services, principal: Principal, task_id: str, request: HandOverRequest, *, delegation: bool
) -> Task:
    async with services.db.session() as session:
        target = await session.get(Principal, request.to)
    if target is None:
        raise invalid(["body", "to"], f"no principal {request.to}")
    command = HandOverTask(
        task_id=task_id, actor=actor(principal), to=actor(target), reason=request.reason, delegation=delegation
    )
    action = "delegate" if delegation else "reassign"
    return await _send(services, principal, task_id, HumanTasks.hand_over_task, command, action, holder=False)


async def reassign(*, services: Services, principal: Principal, task_id: str, request: HandOverRequest) -> Task:
    """A supervisor (or, once escalated, a holder of the role it was escalated to) assigns it to someone else."""
    return await _hand_over(services, principal, task_id, request, delegation=False)


async def delegate(*, services: Services, principal: Principal, task_id: str, request: HandOverRequest) -> Task:
    """The assignee hands the task on, with a reason."""
    return await _hand_over(services, principal, task_id, request, delegation=True)


async def comment(*, services: Services, principal: Principal, task_id: str, request: CommentRequest) -> Task:
    command = CommentTask(task_id=task_id, actor=actor(principal), text=request.text)
    return await _send(services, principal, task_id, HumanTasks.comment_task, command, "comment", holder=False)
