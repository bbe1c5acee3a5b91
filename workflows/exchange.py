"""Cross-border exchange of a released export, and the delivery of any message to a partner administration.

`ExportExchange` (`exchange-{mrn}`): the follow-up of an export whose exit was not confirmed in time
(EXIT_FOLLOW_UP_DAYS, like the EU's 90 days). Since `release-exchange` a released clearance records its exit as
awaited and sends its notification itself (`workflows/endings.py`), and the worker's exit sweeper
(`activities/exits.py`) starts this workflow only for an exit past its date: it opens an `exit_follow_up` task for
customs; the task's outcome (or a confirmation meanwhile, `confirm_exit`) settles the exit. Clearances released
before that started one per release, which sends the notification (through `ExchangeDelivery`) and waits for the
exit itself; their histories replay unchanged.

`ExchangeDelivery` (`exchange-delivery-{message id}`): one stored message delivered, retried durably by Temporal
for about a day; a partner's refusal (4xx, a bad signature) is not retried and the message is recorded failed.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from domain.clearance import Rejection, Task
from domain.exchange import (
    ConfirmExit,
    ExitRecord,
    ExportExchangeInput,
    FailDelivery,
    FollowUp,
    delivery_workflow_id,
)
from domain.vocabulary import TaskKind, TaskState
from workflows import acts
from workflows.human import HumanTasks
from workflows.journal import Journal
from workflows.tasks import TaskBook, reject

EXCHANGE_AUDIT_SEQ = 1_900_000_000  # the exchange workflow's own range of the clearance's audit sequence


@workflow.defn(name="ExchangeDelivery")
class ExchangeDeliveryWorkflow:
    @workflow.run
    async def run(self, message_id: str) -> str:
        try:
            return await acts.deliver_exchange_message(message_id)
        except ActivityError as exc:
            cause = exc.cause
            reason = cause.message if isinstance(cause, ApplicationError) else str(cause or exc)
            await acts.fail_exchange_message(FailDelivery(message_id=message_id, reason=reason[:400]))
            return "failed"


@workflow.defn(name="ExportExchange")
class ExportExchangeWorkflow(HumanTasks):
    @workflow.init
    def __init__(self, inp: ExportExchangeInput) -> None:
        self._mrn = inp.mrn
        self._journal = Journal(mrn=inp.mrn, audit_seq=EXCHANGE_AUDIT_SEQ, notify=inp.notify)
        self._book = TaskBook(
            mrn=inp.mrn, workflow_id=workflow.info().workflow_id, agency=inp.agency, four_eyes=[], task_prefix="X"
        )
        self._exit = ExitRecord(mrn=inp.mrn, status="awaiting_exit")

    @workflow.query
    def exit(self) -> ExitRecord:
        return self._exit

    @workflow.update
    async def confirm_exit(self, cmd: ConfirmExit) -> ExitRecord:
        self._exit = self._exit.model_copy(
            update={
                "status": "confirmed",
                "confirmed_at": cmd.exited_at or workflow.now(),
                "confirmed_by": cmd.actor_id,
                "office_of_exit": cmd.office_of_exit,
                "note": cmd.note,
            }
        )
        self._journal.audit(
            "exit_confirmed",
            cmd.actor_id,
            office_of_exit=cmd.office_of_exit,
            note=cmd.note,
            confirmed_at=self._exit.confirmed_at.isoformat() if self._exit.confirmed_at else None,
        )
        cancelled = self._book.cancel_open(workflow.now(), "exit confirmed")
        for task in cancelled:
            self._journal.audit("task_cancelled", None, task_id=task.id, reason=task.reason)
        await acts.record_exit(self._exit)
        await self._journal.project_tasks(cancelled)
        return self._exit

    @confirm_exit.validator
    def _validate_confirm_exit(self, cmd: ConfirmExit) -> None:
        if cmd.actor_agency != self._book.agency:
            raise reject(Rejection.forbidden, f"only customs of {self._book.agency} may confirm this exit")
        if self._exit.status in ("confirmed", "not_exited"):
            raise reject(Rejection.conflict, f"the exit of {self._mrn} is already {self._exit.status}")

    @workflow.run
    async def run(self, inp: ExportExchangeInput) -> ExitRecord:
        if inp.follow_up is not None:  # started by the exit sweeper: the exit is past its date, unconfirmed
            await self._follow_up_awaited(inp.follow_up)
            await workflow.wait_condition(workflow.all_handlers_finished)
            return self._exit
        plan = await acts.start_export_exchange(inp)
        follow_up_at = inp.released_at + timedelta(seconds=plan.follow_up_seconds)
        self._exit = self._exit.model_copy(update={"follow_up_at": follow_up_at})
        await acts.record_exit(self._exit)
        if plan.message_id is not None:
            await workflow.start_child_workflow(
                ExchangeDeliveryWorkflow.run,
                plan.message_id,
                id=delivery_workflow_id(plan.message_id),
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        else:
            workflow.logger.info("no export notification", extra={"mrn": self._mrn, "reason": plan.reason})
        settled = lambda: self._exit.status in ("confirmed", "not_exited")  # noqa: E731
        wait = follow_up_at - workflow.now()
        try:
            await workflow.wait_condition(settled, timeout=max(wait, timedelta(seconds=1)))
        except TimeoutError:
            await self._follow_up(plan.follow_up_role, timedelta(seconds=plan.follow_up_due_seconds))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._exit

    async def _follow_up(self, role: str, due: timedelta) -> None:
        """No exit confirmed in time: customs follows it up (the task settles the exit, unless it is confirmed)."""
        task = self._book.open(
            number=1,
            kind=TaskKind.exit_follow_up,
            role=role,
            title=f"Exit of {self._mrn} not confirmed: follow up",
            now=workflow.now(),
            due=due,
            subject={
                "stage": "exit",
                "follow_up_at": self._exit.follow_up_at.isoformat() if self._exit.follow_up_at else None,
            },
        )
        self._exit = self._exit.model_copy(update={"status": "follow_up", "task_id": task.id})
        self._journal.audit("exit_follow_up", None, task_id=task.id, role=role, due_at=task.due_at.isoformat())
        self._journal.audit(
            "task_created", None, task_id=task.id, kind=task.kind.value, role=role, due_at=task.due_at.isoformat()
        )
        await acts.record_exit(self._exit)
        await self._journal.project_tasks([task])
        await self._await_tasks([task.id], lambda: self._exit.status == "confirmed")
        await self._settle_by(self._book.tasks[task.id])

    async def _follow_up_awaited(self, follow_up: FollowUp) -> None:
        """The exit of a clearance released with `release-exchange`, followed up from the store: the task is
        customs' only if the exit is still awaited when this workflow takes it (a confirmation through the API
        may have come first)."""
        self._exit = self._exit.model_copy(update={"follow_up_at": follow_up.follow_up_at})
        task = self._book.open(
            number=1,
            kind=TaskKind.exit_follow_up,
            role=follow_up.role,
            title=f"Exit of {self._mrn} not confirmed: follow up",
            now=workflow.now(),
            due=timedelta(seconds=follow_up.due_seconds),
            subject={"stage": "exit", "follow_up_at": follow_up.follow_up_at.isoformat()},
        )
        claim = self._exit.model_copy(update={"status": "follow_up", "task_id": task.id})
        claimed = await acts.claim_exit_follow_up(claim)
        if self._exit.status == "confirmed":  # confirmed through `confirm_exit` while the claim ran
            return
        if claimed is None or claimed.status != "follow_up" or claimed.task_id != task.id:
            self._exit = claimed or self._exit  # settled through the API before the follow-up took it
            return
        self._exit = claimed
        due_at = task.due_at.isoformat()
        self._journal.audit("exit_follow_up", None, task_id=task.id, role=follow_up.role, due_at=due_at)
        kind = task.kind.value
        self._journal.audit("task_created", None, task_id=task.id, kind=kind, role=follow_up.role, due_at=due_at)
        await self._journal.project_tasks([task])
        await self._await_tasks([task.id], lambda: self._exit.status == "confirmed")
        await self._settle_by(self._book.tasks[task.id])

    async def _settle_by(self, done: Task) -> None:
        """The follow-up task's outcome settles the exit, unless it was confirmed meanwhile."""
        if done.state == TaskState.completed and self._exit.status != "confirmed":
            status = "confirmed" if done.outcome == "exit_confirmed" else "not_exited"
            self._exit = self._exit.model_copy(
                update={
                    "status": status,
                    "confirmed_at": done.completed_at,
                    "confirmed_by": done.completed_by,
                    "note": done.reason,
                }
            )
            await acts.record_exit(self._exit)
