"""The claim and complete Updates every workflow with human tasks offers, with validators that reject a bad
action before it reaches history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from temporalio import workflow

from domain.clearance import ClaimTask, CommentAdded, CommentTask, CompleteTask, HandOverTask, Task, UnclaimTask
from workflows.journal import Journal
from workflows.tasks import TaskBook

ESCALATION_PATCH = "task-escalation-timers"


def _answer(task: Task) -> Task:
    """An Update's result is kept in history: the task without its comments (at most MAX_COMMENTS_PER_TASK, read
    from the read model), so each action adds a bounded amount."""
    return task.model_copy(update={"comments": []})


class HumanTasks:
    """Mixin: subclasses set `self._book`, `self._mrn` and `self._journal` (which records the audit events and
    writes the tasks) and may override `_on_task_change`."""

    _book: TaskBook
    _mrn: str
    _journal: Journal

    def _on_task_change(self, task: Task, now: datetime) -> None:
        """Hook for the clearance to mirror task changes into its own view."""

    async def _await_tasks(self, ids: list[str], interrupted: Callable[[], bool] = lambda: False) -> None:
        """Wait until the tasks are decided (or `interrupted`), recording reminders and escalations on time.

        Durable timers exist only for tasks whose SOP names an escalation. `workflow.patched` keeps clearances
        recorded before escalation existed on the path their history took."""

        def settled() -> bool:
            return self._book.done(ids) or interrupted()

        while not settled():
            deadline = self._book.next_deadline(ids)
            if deadline is None or not workflow.patched(ESCALATION_PATCH):
                await workflow.wait_condition(settled)
                return
            if deadline > workflow.now():
                try:
                    await workflow.wait_condition(settled, timeout=deadline - workflow.now())
                    continue
                except TimeoutError:
                    pass
            changed = self._book.escalate(ids, workflow.now())
            for task, what in changed:
                self._journal.audit(
                    f"task_{what}", None, task_id=task.id, role=task.role, due_at=task.due_at.isoformat()
                )
                self._on_task_change(task, workflow.now())
            if changed:
                await self._journal.project_tasks([task for task, _ in changed])

    @workflow.update
    async def claim_task(self, cmd: ClaimTask) -> Task:
        task = self._book.claim(cmd)
        self._journal.audit("task_claimed", cmd.actor.id, task_id=task.id, kind=task.kind.value)
        self._on_task_change(task, workflow.now())
        await self._journal.project_tasks([task])
        return _answer(task)

    @claim_task.validator
    def _validate_claim(self, cmd: ClaimTask) -> None:
        self._book.validate_claim(cmd)

    @workflow.update
    async def complete_task(self, cmd: CompleteTask) -> Task:
        """Completes the task; an unclaimed one is claimed by the caller in the same Update (the audit says so)."""
        now = workflow.now()
        unclaimed = cmd.task_id in self._book.tasks and self._book.tasks[cmd.task_id].assignee is None
        task = self._book.complete(cmd, now)
        extra: dict[str, Any] = {"claimed_on_completion": True} if unclaimed else {}
        if cmd.confirm_deviation:
            extra["confirmed_deviation"] = True
        self._journal.audit(
            "task_completed",
            cmd.actor.id,
            task_id=task.id,
            kind=task.kind.value,
            outcome=task.outcome,
            reason=task.reason,
            reason_code=task.reason_code,
            **extra,
        )
        self._on_task_change(task, now)
        await self._journal.project_tasks([task])
        return _answer(task)

    @complete_task.validator
    def _validate_complete(self, cmd: CompleteTask) -> None:
        self._book.validate_complete(cmd)

    @workflow.update
    async def unclaim_task(self, cmd: UnclaimTask) -> Task:
        task = self._book.unclaim(cmd)
        self._journal.audit("task_unclaimed", cmd.actor.id, task_id=task.id)
        await self._journal.project_tasks([task])
        return _answer(task)

    @unclaim_task.validator
    def _validate_unclaim(self, cmd: UnclaimTask) -> None:
        self._book.validate_unclaim(cmd)

    @workflow.update
    async def hand_over_task(self, cmd: HandOverTask) -> Task:
        task = self._book.hand_over(cmd)
        kind = "task_delegated" if cmd.delegation else "task_reassigned"
        self._journal.audit(kind, cmd.actor.id, task_id=task.id, to=cmd.to.id, reason=cmd.reason)
        await self._journal.project_tasks([task])
        return _answer(task)

    @hand_over_task.validator
    def _validate_hand_over(self, cmd: HandOverTask) -> None:
        self._book.validate_hand_over(cmd)

    @workflow.update
    async def comment_task(self, cmd: CommentTask) -> CommentAdded:
        """Answers with the new comment only: the task's comments reach the read model through the projection."""
        task = self._book.comment(cmd, workflow.now())
        self._journal.audit("task_commented", cmd.actor.id, task_id=task.id)
        await self._journal.project_tasks([task])
        return CommentAdded(task_id=task.id, comment=task.comments[-1], count=len(task.comments))

    @comment_task.validator
    def _validate_comment(self, cmd: CommentTask) -> None:
        self._book.validate_comment(cmd)
