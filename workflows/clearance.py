"""The clearance workflow: interprets the SOP definition pinned in its input, step by step, to an outcome.

intake → screening → licence check → risk lane → joint inspection (child workflow, when the SOP says)
       → supervisor approval (when the SOP says) → released / referred / not released, or invalidated.

The SOP is data: which steps run, their conditions (CEL), lanes, tasks, due dates and outcomes all come from it.
This module is the interpreter and the handlers of the Updates and Signals; the parts it delegates to:

| job | module |
|---|---|
| the view, timeline, decisions and audit buffer, and their writes | `workflows/journal.py` |
| what each step kind does | `workflows/steps/<kind>.py` |
| who may act on the clearance, and when (pure checks) | `workflows/officers.py`; tasks: `workflows/tasks.py` |
| how it ends (outcome, invalidation, confirmed re-screening match) | `workflows/endings.py` |
| re-screening hits after a list import | `workflows/rescreen_hits.py` |
| the activities it calls, typed | `workflows/acts.py` (names and options: `workflows/options.py`) |

Interpreter changes that alter the commands a recorded history produced must be guarded by
`workflow.patched()`; tests replay `tests/histories/` against this code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow

from domain.clearance import (
    ClearanceInput,
    ClearanceResult,
    ClearanceView,
    Hold,
    InspectionSchedule,
    Invalidate,
    PlaceHold,
    ReleaseHold,
    Reroute,
    ScheduleInspection,
    Task,
    TimelineEntry,
)
from domain.vocabulary import Outcome, Status, TaskKind, TaskState
from sop.model import RiskStep, ScreeningStep, Step, TaskSpec
from workflows import endings, officers, versions
from workflows.inspection import TASK_ESCALATED_SIGNAL
from workflows.journal import Journal
from workflows.parking import AgencyParking
from workflows.progress import Invalidated, Progress, Rerouted
from workflows.rescreen_hits import RescreenConcluded, RescreenHits
from workflows.standing import Standings
from workflows.steps import conditions, run_step
from workflows.tasks import TaskBook


@workflow.defn(name="Clearance")
class ClearanceWorkflow(AgencyParking, RescreenHits):
    @workflow.init
    def __init__(self, inp: ClearanceInput) -> None:
        self._inp = inp
        self._mrn = inp.mrn
        self._progress = Progress()
        self._init_rescreen()
        workflow_id = workflow.info().workflow_id
        self._book = TaskBook(
            mrn=inp.mrn,
            workflow_id=workflow_id,
            agency=inp.sop.agency,
            four_eyes=list(inp.sop.settings.four_eyes),
            reason_codes=list(inp.sop.settings.reason_codes),
            reason_code_required=inp.sop.settings.reason_code_required,
        )
        view = ClearanceView(
            mrn=inp.mrn,
            lrn=inp.lrn,
            workflow_id=workflow_id,
            declarant_eori=inp.declarant_eori,
            agency=inp.sop.agency,
            status=Status.accepted,
            stage="intake",
            sop=inp.sop_ref,
            declaration=inp.declaration,
            trade=inp.trade,
            accepted_at=inp.accepted_at,
            updated_at=inp.accepted_at,
            timeline=[TimelineEntry(stage="intake", started_at=inp.accepted_at)],
        )
        self._journal = Journal(mrn=inp.mrn, view=view)
        self._standing = Standings(self)

    def _patched(self, patch_id: str) -> bool:
        """`workflow.patched(patch_id)`, unless the clearance's interpreter generation has it in effect."""
        return versions.patched(self._inp.interpreter, patch_id)

    # --- queries, updates and signals ------------------------------------------------------------------------

    @workflow.query
    def view(self) -> ClearanceView:
        return self._journal.view

    @workflow.update
    async def invalidate(self, cmd: Invalidate) -> ClearanceView:
        self._progress.invalidation = cmd
        await workflow.wait_condition(lambda: self._journal.view.status == Status.invalidated)
        return self._journal.view

    @invalidate.validator
    def _validate_invalidate(self, cmd: Invalidate) -> None:
        officers.check_invalidate(cmd, self._journal.view, self._progress)

    @workflow.update
    async def reroute(self, cmd: Reroute) -> ClearanceView:
        view, journal = self._journal.view, self._journal
        previous = view.lane
        assert previous is not None
        view.lane, view.lane_reason = cmd.lane, cmd.reason.strip()
        self._progress.rerouted = True
        journal.decide(
            view.stage, "lane", cmd.lane.value, cmd.actor.id, f"re-routed from {previous.value}: {cmd.reason}"
        )
        journal.audit(
            "lane_assigned",
            cmd.actor.id,
            lane=cmd.lane.value,
            previous=previous.value,
            reason=cmd.reason.strip(),
            rerouted=True,
        )
        await journal.project(view.status)
        return view

    @reroute.validator
    def _validate_reroute(self, cmd: Reroute) -> None:
        officers.check_reroute(cmd, self._journal.view, self._progress)

    @workflow.update
    async def place_hold(self, cmd: PlaceHold) -> ClearanceView:
        view, journal = self._journal.view, self._journal
        agency = self._standing.hold_placed(cmd.actor)  # an officer's hold is its agency's standing
        view.hold = Hold(by=cmd.actor.id, reason=cmd.reason.strip(), at=workflow.now(), agency=agency)
        journal.decide(view.stage, "hold", "placed", cmd.actor.id, cmd.reason.strip())
        journal.audit("hold_placed", cmd.actor.id, reason=cmd.reason.strip(), stage=view.stage)
        await journal.project(view.status)
        return view

    @place_hold.validator
    def _validate_place_hold(self, cmd: PlaceHold) -> None:
        officers.check_place_hold(cmd, self._journal.view, self._progress)

    @workflow.update
    async def release_hold(self, cmd: ReleaseHold) -> ClearanceView:
        view, journal = self._journal.view, self._journal
        hold = view.hold
        assert hold is not None
        held = workflow.now() - hold.at
        view.hold = None
        self._standing.hold_released(hold.agency, cmd.actor)
        journal.decide(view.stage, "hold", "released", cmd.actor.id, cmd.reason.strip())
        journal.audit(
            "hold_released",
            cmd.actor.id,
            reason=cmd.reason.strip(),
            placed_by=hold.by,
            held_seconds=round(held.total_seconds(), 3),
        )
        self._rehold_after_release()
        await journal.project(view.status)
        return view

    @release_hold.validator
    def _validate_release_hold(self, cmd: ReleaseHold) -> None:
        officers.check_release_hold(cmd, self._journal.view, self._progress, rescreen_open=bool(self._rescreen_open))

    @workflow.update
    async def schedule_inspection(self, cmd: ScheduleInspection) -> ClearanceView:
        view, journal = self._journal.view, self._journal
        step = self._progress.inspection_step
        assert step is not None
        agencies = cmd.agencies or [a.agency for a in step.agencies]
        view.inspection_schedule = InspectionSchedule(
            at=cmd.at,
            place=cmd.place.strip(),
            agencies=agencies,
            note=cmd.note,
            scheduled_by=cmd.actor.id,
            scheduled_at=workflow.now(),
        )
        journal.decide(
            step.id,
            "inspection_schedule",
            cmd.at.isoformat(),
            cmd.actor.id,
            f"{cmd.place.strip()} with {', '.join(agencies)}" + (f": {cmd.note}" if cmd.note else ""),
        )
        journal.audit(
            "inspection_appointment", cmd.actor.id, at=cmd.at.isoformat(), place=cmd.place.strip(), agencies=agencies
        )
        await journal.project(view.status)
        return view

    @schedule_inspection.validator
    def _validate_schedule_inspection(self, cmd: ScheduleInspection) -> None:
        officers.check_schedule_inspection(cmd, self._journal.view, self._progress, now=workflow.now())

    @workflow.signal(name=TASK_ESCALATED_SIGNAL)
    async def inspection_task_escalated(self, task: Task) -> None:
        """The joint inspection escalated one of its tasks: a decision of this clearance, shown in its view."""
        if self._journal.view.outcome is not None:
            return
        self._on_task_change(task, workflow.now())
        await self._journal.project(self._journal.view.status)

    def _on_task_change(self, task: Task, now: datetime) -> None:
        view = self._journal.view
        view.updated_at = now
        self._standing.task_changed(task)
        if task.escalated_from is not None and not any(
            d.kind == "escalation" and d.task_id == task.id for d in view.decisions
        ):
            self._journal.decide(
                view.stage,
                "escalation",
                task.role,
                None,
                f"overdue since {task.due_at.isoformat()}; moved from {task.escalated_from}",
                task.id,
            )

    # --- the interpreter -------------------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: ClearanceInput) -> ClearanceResult:
        now = workflow.now()
        self._journal.view.timeline[0].ended_at = now
        self._journal.set_status(Status.in_progress)
        trade = {"trade": inp.trade.model_dump(mode="json")} if inp.trade else {}
        self._journal.audit("accepted", inp.declarant_eori, lrn=inp.lrn, sop=inp.sop_ref.model_dump(), **trade)
        self._standing.begin()
        try:
            outcome, reason = await self._interpret(inp.sop.steps)
            outcome, reason = await self._standing.gate(outcome, reason)  # every party may proceed, or referral
        except Invalidated:
            await endings.finish_invalidated(self)
        except RescreenConcluded:
            self._standing.rescreen_concluded()
            await endings.finish_rescreen_confirmed(self)
        else:
            await endings.finish(self, outcome, reason)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return ClearanceResult.of(self._journal.view)

    async def _interpret(self, steps: list[Step]) -> tuple[Outcome, str]:
        """Run the steps in order. A hold stops the interpreter between steps and before the outcome; a re-route
        goes back to the step after the risk step, skipping steps already done and re-evaluating conditions."""
        progress = self._progress
        index = 0
        while True:
            await self._hold_point()
            if progress.rerouted:
                progress.rerouted, index = False, progress.resume_at
            if index == len(steps):
                return Outcome.released, "every step of the SOP passed"
            step = steps[index]
            index += 1
            if step.id in progress.done_steps:
                continue
            if step.when is not None and not conditions.holds(self, step):
                self._journal.audit("step_skipped", None, step=step.id, condition=step.when)
                if isinstance(step, ScreeningStep):
                    await self._screening_passed()
                continue
            try:
                decided = await run_step(self, step)
            except Rerouted:
                self._journal.leave()
                continue
            progress.done_steps.add(step.id)
            if isinstance(step, RiskStep):
                progress.resume_at = index
            if decided is not None:
                progress.decided = decided
                await self._hold_point()
                return decided

    async def _hold_point(self) -> None:
        if self._journal.view.hold is not None:
            workflow.logger.info("clearance on hold", extra={"mrn": self._mrn})
            await self._journal.project(Status.in_progress)  # the read model shows where the clearance waits
            await workflow.wait_condition(
                lambda: (
                    self._journal.view.hold is None
                    or self._progress.invalidation is not None
                    or self._rescreen_outcome is not None
                )
            )
        self._check_invalidated()

    def _interrupted(self) -> bool:
        return self._progress.invalidation is not None or self._progress.rerouted or self._rescreen_outcome is not None

    def _check_invalidated(self) -> None:
        """Unwind the interpreter when the clearance is being concluded from outside its steps."""
        if self._progress.invalidation is not None:
            raise Invalidated
        if self._rescreen_outcome is not None:
            raise RescreenConcluded

    async def _unwind_for_reroute(self) -> None:
        """Close the current step's open tasks; the interpreter then follows the new lane."""
        cancelled = self._book.cancel_open(
            workflow.now(), f"lane re-routed to {self._journal.view.lane}", keep=set(self._rescreen_open)
        )
        for task in cancelled:
            self._journal.audit("task_cancelled", None, task_id=task.id, reason=task.reason)
        self._journal.set_status(Status.in_progress)
        if cancelled:
            await self._journal.project_tasks(cancelled)
        raise Rerouted

    # --- human tasks of the steps ----------------------------------------------------------------------------

    def _open_task(self, kind: TaskKind, spec: TaskSpec, title: str, subject: dict[str, Any]) -> Task:
        self._progress.task_number += 1
        task = self._book.open(
            number=self._progress.task_number,
            kind=kind,
            role=spec.role,
            title=title,
            now=workflow.now(),
            due=spec.due,
            subject={**subject, "stage": self._journal.view.stage},
            escalation=spec.escalation,
            agency=self._standing.task_agency(spec.role),
        )
        self._standing.task_opened(task)
        self._journal.audit(
            "task_created", None, task_id=task.id, kind=kind.value, role=spec.role, due_at=task.due_at.isoformat()
        )
        return task

    async def _wait_for(self, tasks: list[Task]) -> None:
        workflow.logger.info("awaiting decision", extra={"mrn": self._mrn, "tasks": [t.id for t in tasks]})
        await self._journal.project(Status.awaiting_decision, tasks=tasks)
        ids = [t.id for t in tasks]
        await self._await_tasks(ids, self._interrupted)
        self._check_invalidated()
        if self._progress.rerouted:
            await self._unwind_for_reroute()
        completed = [self._book.tasks[i] for i in ids if self._book.tasks[i].state == TaskState.completed]
        if completed:
            self._journal.view.timeline[-1].actor = completed[-1].completed_by
        self._journal.set_status(Status.in_progress)
