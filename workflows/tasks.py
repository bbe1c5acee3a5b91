"""Human tasks inside a workflow: opening, claiming, completing, four-eyes. Pure and deterministic.

`validate_*` methods are called by Update validators: they raise a typed ApplicationError (see
`domain.clearance.Rejection`) before anything is written to history.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from temporalio.exceptions import ApplicationError

from domain import policy
from domain.clearance import (
    MAX_COMMENT_CHARS,
    MAX_COMMENTS_PER_TASK,
    TASK_OUTCOMES,
    Actor,
    ClaimTask,
    CommentTask,
    CompleteTask,
    HandOverTask,
    Rejection,
    Task,
    TaskComment,
    TaskKind,
    TaskState,
    UnclaimTask,
)
from domain.inspection import FindingsError, deviation_warning, deviations, parse_findings
from domain.policy import FourEyes, Refusal
from sop.model import Escalation, ReasonCode


def reject(
    kind: Rejection,
    message: str,
    *,
    field: list[str | int] | None = None,
    errors: list[tuple[list[str | int], str]] | None = None,
) -> ApplicationError:
    """A typed refusal; `field` is the path of the offending request field (the API reports it as `loc`), `errors`
    every (path, message) when there is more than one problem (the API reports them all)."""
    details: list[Any] = [field or []] if field or errors else []
    if errors:
        details.append([{"loc": loc, "msg": msg} for loc, msg in errors])
    return ApplicationError(message, *details, type=kind.value, non_retryable=True)


def refuse(refusal: Refusal | None) -> None:
    """Raise the policy's refusal (`domain.policy`) as the typed ApplicationError a validator raises."""
    if refusal is not None:
        raise reject(refusal.kind, refusal.message, field=list(refusal.field) if refusal.field else None)


class TaskBook:
    def __init__(
        self,
        *,
        mrn: str,
        workflow_id: str,
        agency: str,
        four_eyes: list[str],
        prior_completers: dict[str, str] | None = None,
        reason_codes: list[ReasonCode] | None = None,
        reason_code_required: bool = True,
        declared_quantities: dict[int, Decimal] | None = None,
        quantity_tolerance_pct: float | None = None,
        task_prefix: str = "T",
    ) -> None:
        self.mrn = mrn
        self.task_prefix = task_prefix
        self.workflow_id = workflow_id
        self.agency = agency
        self.four_eyes = set(four_eyes)
        self.tasks: dict[str, Task] = {}
        # task id -> who completed it, including tasks completed in other workflows of the same clearance
        self.completers: dict[str, str] = dict(prior_completers or {})
        self.reason_codes = list(reason_codes or [])
        self.reason_code_required = reason_code_required
        # What an inspection's counts are checked against (the joint inspection's book only).
        self.declared_quantities = dict(declared_quantities or {})
        self.quantity_tolerance_pct = quantity_tolerance_pct

    def open(
        self,
        *,
        number: int,
        kind: TaskKind,
        role: str,
        title: str,
        now: datetime,
        due: timedelta,
        subject: dict[str, Any],
        escalation: Escalation | None = None,
        agency: str | None = None,
    ) -> Task:
        """`agency`: whose task it is (`domain/standing.py`), default the book's."""
        task = Task(
            id=f"{self.mrn}-{self.task_prefix}{number}",
            mrn=self.mrn,
            workflow_id=self.workflow_id,
            kind=kind,
            role=role,
            agency=agency or self.agency,
            title=title,
            due_at=now + due,
            created_at=now,
            subject=subject,
            reason_codes=[c for c in self.reason_codes if kind.value in c.kinds],
            reason_code_required=self.reason_code_required,
            escalation=escalation,
            tolerance_pct=self.quantity_tolerance_pct if kind == TaskKind.inspection_findings else None,
        )
        self.tasks[task.id] = task
        return task

    def done(self, task_ids: list[str]) -> bool:
        return all(self.tasks[t].state != TaskState.open for t in task_ids)

    # --- validation (no side effects) ---------------------------------------------------------------------

    def _get(self, task_id: str) -> Task:
        task = self.tasks.get(task_id)
        if task is None:
            raise reject(Rejection.not_found, f"task {task_id} is not part of this clearance")
        return task

    @property
    def four_eyes_rule(self) -> FourEyes:
        return FourEyes(kinds=self.four_eyes, completers=self.completers)

    def _check_four_eyes(self, task: Task, actor: Actor) -> None:
        refuse(policy.four_eyes(actor, task, self.four_eyes_rule))

    def validate_claim(self, cmd: ClaimTask) -> Task:
        task = self._get(cmd.task_id)
        refuse(policy.may_claim(cmd.actor, task, self.four_eyes_rule))
        return task

    def validate_complete(self, cmd: CompleteTask) -> Task:
        """Everything the Update validator checks. Completing an unclaimed task claims it in the same Update (the
        caller becomes its assignee); a task someone else holds is refused."""
        task = self._check_complete(cmd)
        if task.kind == TaskKind.inspection_findings:
            self._check_inspection(task, cmd)
        self._check_four_eyes(task, cmd.actor)
        return task

    def _check_complete(self, cmd: CompleteTask) -> Task:
        """The checks the Update handler repeats when it applies a completion, also on replay: only rules every
        recorded completion met (a rule added later belongs in `validate_complete`, which replay skips)."""
        task = self._get(cmd.task_id)
        refuse(policy.may_complete(cmd.actor, task))
        allowed = TASK_OUTCOMES[task.kind]
        if cmd.outcome not in allowed:
            raise reject(
                Rejection.invalid,
                f"outcome '{cmd.outcome}' is not allowed for a {task.kind.value} task; use one of {', '.join(allowed)}",
                field=["outcome"],
            )
        if not cmd.reason.strip():
            raise reject(Rejection.invalid, "a reason is required", field=["reason"])
        fitting = [c.code for c in task.reason_codes if c.outcomes is None or cmd.outcome in c.outcomes]
        optional = not task.reason_code_required and cmd.reason_code is None
        if fitting and cmd.reason_code not in fitting and not optional:
            raise reject(
                Rejection.invalid,
                f"reason_code must be one of {', '.join(fitting)} for outcome '{cmd.outcome}'",
                field=["reason_code"],
            )
        if not fitting and cmd.reason_code is not None:
            raise reject(
                Rejection.invalid, f"this task takes no reason code for outcome '{cmd.outcome}'", field=["reason_code"]
            )
        return task

    def _check_inspection(self, task: Task, cmd: CompleteTask) -> None:
        """Findings well formed (every problem reported); a compliant inspection says what was checked; a count
        beyond the SOP's tolerance is recorded as compliant only when the officer confirms the deviation."""
        try:
            findings = parse_findings(cmd.findings)
        except FindingsError as exc:
            errors = [(["findings", *loc], msg) for loc, msg in exc.errors]
            raise reject(Rejection.invalid, str(exc), field=errors[0][0], errors=errors) from exc
        if cmd.outcome != "compliant":
            return
        if not findings.records_a_check:
            raise reject(
                Rejection.invalid,
                "an inspection recorded as compliant needs its findings: what was checked (seals_checked, counts, "
                "discrepancies or evidence)",
                field=["findings"],
            )
        if cmd.confirm_deviation or self.quantity_tolerance_pct is None:
            return
        beyond = [d for d in deviations(findings, self.declared_quantities, self.quantity_tolerance_pct) if d.beyond]
        if beyond:
            errors = [
                (["findings", "counts", d.index, "counted"], deviation_warning(d, self.quantity_tolerance_pct))
                for d in beyond
            ]
            raise reject(Rejection.invalid, "; ".join(msg for _, msg in errors), field=errors[0][0], errors=errors)

    def validate_unclaim(self, cmd: UnclaimTask) -> Task:
        task = self._get(cmd.task_id)
        refuse(policy.may_unclaim(cmd.actor, task))
        return task

    def validate_hand_over(self, cmd: HandOverTask) -> Task:
        task = self._get(cmd.task_id)
        refuse(policy.may_delegate(cmd.actor, task) if cmd.delegation else policy.may_reassign(cmd.actor, task))
        refuse(policy.may_take_over(cmd.to, task, delegation=cmd.delegation, rule=self.four_eyes_rule))
        return task

    def validate_comment(self, cmd: CommentTask) -> Task:
        task = self._get(cmd.task_id)
        refuse(policy.may_comment(cmd.actor, task))
        if len(cmd.text) > MAX_COMMENT_CHARS:
            raise reject(Rejection.invalid, f"a comment has at most {MAX_COMMENT_CHARS} characters", field=["text"])
        if len(task.comments) >= MAX_COMMENTS_PER_TASK:
            raise reject(Rejection.conflict, f"task {task.id} has {MAX_COMMENTS_PER_TASK} comments, the most it takes")
        return task

    # --- changes (called by update handlers after validation) -----------------------------------------------

    def claim(self, cmd: ClaimTask) -> Task:
        task = self.validate_claim(cmd)
        task.assignee = cmd.actor.id
        task.version += 1
        return task

    def complete(self, cmd: CompleteTask, now: datetime) -> Task:
        task = self._check_complete(cmd)
        self._check_four_eyes(task, cmd.actor)
        task.assignee = cmd.actor.id
        task.state = TaskState.completed
        task.outcome, task.reason, task.findings = cmd.outcome, cmd.reason.strip(), cmd.findings
        task.reason_code = cmd.reason_code
        task.completed_at, task.completed_by = now, cmd.actor.id
        task.version += 1
        self.completers[task.id] = cmd.actor.id
        return task

    def unclaim(self, cmd: UnclaimTask) -> Task:
        task = self.validate_unclaim(cmd)
        task.assignee = None
        task.version += 1
        return task

    def hand_over(self, cmd: HandOverTask) -> Task:
        task = self.validate_hand_over(cmd)
        if task.role not in cmd.to.roles:  # an escalated task handed back to its original role
            task.role = task.escalated_from or task.role
        task.assignee = cmd.to.id
        task.delegated_by = cmd.actor.id if cmd.delegation else None
        task.version += 1
        return task

    def comment(self, cmd: CommentTask, now: datetime) -> Task:
        task = self.validate_comment(cmd)
        task.comments.append(TaskComment(at=now, by=cmd.actor.id, text=cmd.text))
        task.version += 1
        return task

    def next_deadline(self, task_ids: list[str]) -> datetime | None:
        """The next moment an open task among `task_ids` becomes overdue or due for escalation."""
        moments = []
        for task in (self.tasks[t] for t in task_ids):
            if task.state != TaskState.open or task.escalation is None:
                continue
            if not task.overdue:
                moments.append(task.due_at)
            elif task.escalated_from is None:
                moments.append(task.due_at + task.escalation.after)
        return min(moments) if moments else None

    def escalate(self, task_ids: list[str], now: datetime) -> list[tuple[Task, str]]:
        """Apply what is due at `now`: ("overdue", task) reminders, then ("escalated", task) moves to the SOP's role."""
        changed = []
        for task in (self.tasks[t] for t in task_ids):
            if task.state != TaskState.open or task.escalation is None:
                continue
            if not task.overdue and now >= task.due_at:
                task.overdue = True
                task.version += 1
                changed.append((task, "overdue"))
            if task.overdue and task.escalated_from is None and now >= task.due_at + task.escalation.after:
                task.escalated_from, task.role, task.assignee = task.role, task.escalation.to, None
                task.version += 1
                changed.append((task, "escalated"))
        return changed

    def cancel_open(self, now: datetime, reason: str, keep: Collection[str] = ()) -> list[Task]:
        """Cancel every open task but those in `keep`."""
        cancelled = []
        for task in self.tasks.values():
            if task.state == TaskState.open and task.id not in keep:
                task.state, task.reason, task.completed_at = TaskState.cancelled, reason, now
                task.version += 1
                cancelled.append(task)
        return cancelled
