"""The clearance workflow: interprets the SOP definition pinned in its input, step by step, to an outcome.

intake → screening → licence check → risk lane → joint inspection (child workflow, when the SOP says)
       → supervisor approval (when the SOP says) → released / referred / not released, or invalidated.

The SOP is data: which steps run, their conditions (CEL), lanes, tasks, due dates and outcomes all come from it.
Interpreter changes that alter the commands a recorded history produced must be guarded by
`workflow.patched()`; tests replay `tests/histories/` against this code.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError, ChildWorkflowError
from temporalio.workflow import ParentClosePolicy

from domain import search
from domain.clearance import (
    Actor,
    AuditEvent,
    CheckLicencesInput,
    ClearanceInput,
    ClearanceSubject,
    ClearanceView,
    Decision,
    DocumentRef,
    Hold,
    InspectionInput,
    InspectionResult,
    InspectionSchedule,
    Invalidate,
    LicenceCheckResult,
    PlaceHold,
    ProjectionInput,
    RecordOutcomeInput,
    Rejection,
    ReleaseDepletionsInput,
    ReleaseHold,
    Reroute,
    ScheduleInspection,
    ScreenPartiesInput,
    Status,
    Task,
    TaskKind,
    TaskState,
    TimelineEntry,
)
from sop.expressions import ExpressionError, evaluate_condition, rule_context, to_cel
from sop.model import (
    ApprovalStep,
    InspectionStep,
    Lane,
    LicenceCheckStep,
    Outcome,
    RiskStep,
    ScreeningStep,
    Step,
    TaskSpec,
)
from workflows import acts
from workflows.inspection import TASK_ESCALATED_SIGNAL, JointInspectionWorkflow, non_compliance_reason
from workflows.rescreen_hits import SYSTEM, RescreenConcluded, RescreenHits
from workflows.tasks import TaskBook, reject

NOTICE_FOR = {
    Outcome.released: "release-notice",
    Outcome.referred: "referral-notice",
    Outcome.not_released: "not-released-notice",
    Outcome.invalidated: "invalidation-notice",
}
APPROVAL_OUTCOMES = {"approve": None, "reject": Outcome.not_released, "refer": Outcome.referred}
# How closely a lane looks at a consignment: moving to a lower one needs a supervisor.
LANE_SCRUTINY = {Lane.green: 0, Lane.blue: 1, Lane.yellow: 2, Lane.red: 3}
REROUTE_ROLES = ("customs_officer", "supervisor")
HOLD_ROLES = ("customs_officer", "export_control_officer", "supervisor")


class _Invalidated(Exception):
    """Unwinds the interpreter when the declarant invalidates the declaration."""


class _Rerouted(Exception):
    """Unwinds the current step when an officer moves the clearance to another lane."""


@workflow.defn(name="Clearance")
class ClearanceWorkflow(RescreenHits):
    @workflow.init
    def __init__(self, inp: ClearanceInput) -> None:
        self._inp = inp
        self._mrn = inp.mrn
        self._audit_seq = 0
        self._pending_audit: list[AuditEvent] = []
        self._task_number = 0
        self._invalidation: Invalidate | None = None
        self._depleted = False
        self._prefetched_licences: LicenceCheckResult | None = None
        self._prefetched_finished_at: datetime | None = None
        # Officers' actions: a re-route restarts interpretation after the risk step; steps already done stay done.
        self._rerouted = False
        self._resume_at = 0
        self._done_steps: set[str] = set()
        self._decided: tuple[Outcome, str] | None = None
        self._inspection_step: InspectionStep | None = None
        self._inspections_started = 0
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
        self._view = ClearanceView(
            mrn=inp.mrn,
            lrn=inp.lrn,
            workflow_id=workflow_id,
            declarant_eori=inp.declarant_eori,
            agency=inp.sop.agency,
            status=Status.accepted,
            stage="intake",
            sop=inp.sop_ref,
            declaration=inp.declaration,
            accepted_at=inp.accepted_at,
            updated_at=inp.accepted_at,
            timeline=[TimelineEntry(stage="intake", started_at=inp.accepted_at)],
        )

    # --- queries and updates ---------------------------------------------------------------------------------

    @workflow.query
    def view(self) -> ClearanceView:
        return self._view

    @workflow.update
    async def invalidate(self, cmd: Invalidate) -> ClearanceView:
        self._invalidation = cmd
        await workflow.wait_condition(lambda: self._view.status == Status.invalidated)
        return self._view

    @invalidate.validator
    def _validate_invalidate(self, cmd: Invalidate) -> None:
        if cmd.actor.eori != self._inp.declarant_eori or "declarant" not in cmd.actor.roles:
            raise reject(Rejection.forbidden, "only the declarant who lodged the declaration may invalidate it")
        if self._view.outcome is not None or self._invalidation is not None:
            state = self._view.outcome.value if self._view.outcome else "being invalidated"
            raise reject(Rejection.conflict, f"clearance {self._mrn} is already {state}")

    @workflow.update
    async def reroute(self, cmd: Reroute) -> ClearanceView:
        previous = self._view.lane
        assert previous is not None
        self._view.lane, self._view.lane_reason = cmd.lane, cmd.reason.strip()
        self._rerouted = True
        self._decide(
            self._view.stage, "lane", cmd.lane.value, cmd.actor.id, f"re-routed from {previous.value}: {cmd.reason}"
        )
        self._audit(
            "lane_assigned",
            cmd.actor.id,
            lane=cmd.lane.value,
            previous=previous.value,
            reason=cmd.reason.strip(),
            rerouted=True,
        )
        await self._project(self._view.status)
        return self._view

    @reroute.validator
    def _validate_reroute(self, cmd: Reroute) -> None:
        self._check_officer(cmd.actor, REROUTE_ROLES, "re-route")
        self._check_undecided()
        current = self._view.lane
        if current is None:
            raise reject(Rejection.conflict, f"clearance {self._mrn} has no lane yet; the risk step has not run")
        if cmd.lane == current:
            raise reject(Rejection.conflict, f"clearance {self._mrn} is already in the {current.value} lane")
        if LANE_SCRUTINY[cmd.lane] < LANE_SCRUTINY[current] and "supervisor" not in cmd.actor.roles:
            raise reject(
                Rejection.forbidden, f"only a supervisor may move a clearance from {current.value} to {cmd.lane.value}"
            )
        if not cmd.reason.strip():
            raise reject(Rejection.invalid, "a reason is required", field=["reason"])

    @workflow.update
    async def place_hold(self, cmd: PlaceHold) -> ClearanceView:
        self._view.hold = Hold(by=cmd.actor.id, reason=cmd.reason.strip(), at=workflow.now())
        self._decide(self._view.stage, "hold", "placed", cmd.actor.id, cmd.reason.strip())
        self._audit("hold_placed", cmd.actor.id, reason=cmd.reason.strip(), stage=self._view.stage)
        await self._project(self._view.status)
        return self._view

    @place_hold.validator
    def _validate_place_hold(self, cmd: PlaceHold) -> None:
        self._check_officer(cmd.actor, HOLD_ROLES, "put on hold")
        if self._view.outcome is not None or self._invalidation is not None:
            raise reject(Rejection.conflict, f"clearance {self._mrn} is already concluded")
        if self._view.hold is not None:
            hold = self._view.hold
            raise reject(Rejection.conflict, f"clearance {self._mrn} is already on hold ({hold.by}: {hold.reason})")
        if not cmd.reason.strip():
            raise reject(Rejection.invalid, "a reason is required", field=["reason"])

    @workflow.update
    async def release_hold(self, cmd: ReleaseHold) -> ClearanceView:
        hold = self._view.hold
        assert hold is not None
        held = workflow.now() - hold.at
        self._view.hold = None
        self._decide(self._view.stage, "hold", "released", cmd.actor.id, cmd.reason.strip())
        self._audit(
            "hold_released",
            cmd.actor.id,
            reason=cmd.reason.strip(),
            placed_by=hold.by,
            held_seconds=round(held.total_seconds(), 3),
        )
        self._rehold_after_release()
        await self._project(self._view.status)
        return self._view

    @release_hold.validator
    def _validate_release_hold(self, cmd: ReleaseHold) -> None:
        self._check_officer(cmd.actor, HOLD_ROLES, "release a hold on")
        hold = self._view.hold
        if hold is None or self._invalidation is not None:
            raise reject(Rejection.conflict, f"clearance {self._mrn} is not on hold")
        if hold.by == SYSTEM and self._rescreen_open:
            raise reject(
                Rejection.conflict,
                f"clearance {self._mrn} is held for an open re-screening review; deciding it releases the hold",
            )
        if cmd.actor.id != hold.by and "supervisor" not in cmd.actor.roles:
            raise reject(Rejection.forbidden, f"only {hold.by}, who placed the hold, or a supervisor may release it")
        if not cmd.reason.strip():
            raise reject(Rejection.invalid, "a reason is required", field=["reason"])

    @workflow.update
    async def schedule_inspection(self, cmd: ScheduleInspection) -> ClearanceView:
        step = self._inspection_step
        assert step is not None
        agencies = cmd.agencies or [a.agency for a in step.agencies]
        self._view.inspection_schedule = InspectionSchedule(
            at=cmd.at,
            place=cmd.place.strip(),
            agencies=agencies,
            note=cmd.note,
            scheduled_by=cmd.actor.id,
            scheduled_at=workflow.now(),
        )
        self._decide(
            step.id,
            "inspection_schedule",
            cmd.at.isoformat(),
            cmd.actor.id,
            f"{cmd.place.strip()} with {', '.join(agencies)}" + (f": {cmd.note}" if cmd.note else ""),
        )
        self._audit(
            "inspection_appointment", cmd.actor.id, at=cmd.at.isoformat(), place=cmd.place.strip(), agencies=agencies
        )
        await self._project(self._view.status)
        return self._view

    @schedule_inspection.validator
    def _validate_schedule_inspection(self, cmd: ScheduleInspection) -> None:
        step = self._inspection_step
        roles = ("customs_officer", "supervisor", *(a.role for a in step.agencies)) if step else ("customs_officer",)
        self._check_officer(cmd.actor, roles, "schedule the inspection of")
        if step is None or self._view.outcome is not None or self._invalidation is not None:
            raise reject(Rejection.conflict, f"clearance {self._mrn} has no joint inspection in progress")
        if cmd.at.tzinfo is None:
            raise reject(Rejection.invalid, "the time needs a UTC offset (RFC 3339)", field=["at"])
        if cmd.at <= workflow.now():
            raise reject(Rejection.invalid, "the inspection must be scheduled in the future", field=["at"])
        if not cmd.place.strip():
            raise reject(Rejection.invalid, "a place is required", field=["place"])
        if cmd.agencies is not None:
            known = [a.agency for a in step.agencies]
            if not cmd.agencies:
                raise reject(Rejection.invalid, "name at least one participating agency", field=["agencies"])
            for i, agency in enumerate(cmd.agencies):
                if agency not in known:
                    raise reject(
                        Rejection.invalid,
                        f"{agency} does not take part in this inspection; the SOP names {', '.join(known)}",
                        field=["agencies", i],
                    )

    def _check_officer(self, actor: Actor, roles: tuple[str, ...], what: str) -> None:
        if actor.agency != self._inp.sop.agency or not set(actor.roles) & set(roles):
            raise reject(
                Rejection.forbidden,
                f"only {', '.join(dict.fromkeys(roles))} of {self._inp.sop.agency} may {what} a clearance",
            )

    def _check_undecided(self) -> None:
        if self._view.outcome is not None or self._invalidation is not None:
            state = self._view.outcome.value if self._view.outcome else "being invalidated"
            raise reject(Rejection.conflict, f"clearance {self._mrn} is already {state}")
        if self._decided is not None:
            raise reject(Rejection.conflict, f"clearance {self._mrn} is being concluded as {self._decided[0].value}")

    @workflow.signal(name=TASK_ESCALATED_SIGNAL)
    async def inspection_task_escalated(self, task: Task) -> None:
        """The joint inspection escalated one of its tasks: a decision of this clearance, shown in its view."""
        if self._view.outcome is not None:
            return
        self._on_task_change(task, workflow.now())
        await self._project(self._view.status)

    def _on_task_change(self, task: Task, now: datetime) -> None:
        self._view.updated_at = now
        if task.escalated_from is not None and not any(
            d.kind == "escalation" and d.task_id == task.id for d in self._view.decisions
        ):
            self._decide(
                self._view.stage,
                "escalation",
                task.role,
                None,
                f"overdue since {task.due_at.isoformat()}; moved from {task.escalated_from}",
                task.id,
            )

    # --- the interpreter -------------------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: ClearanceInput) -> ClearanceView:
        now = workflow.now()
        self._view.timeline[0].ended_at = now
        self._set(status=Status.in_progress)
        self._audit("accepted", inp.declarant_eori, lrn=inp.lrn, sop=inp.sop_ref.model_dump())
        try:
            outcome, reason = await self._interpret(inp.sop.steps)
        except _Invalidated:
            await self._finish_invalidated()
        except RescreenConcluded:
            await self._finish_rescreen_confirmed()
        else:
            await self._finish(outcome, reason)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._view

    async def _interpret(self, steps: list[Step]) -> tuple[Outcome, str]:
        """Run the steps in order. A hold stops the interpreter between steps and before the outcome; a re-route
        goes back to the step after the risk step, skipping steps already done and re-evaluating conditions."""
        index = 0
        while True:
            await self._hold_point()
            if self._rerouted:
                self._rerouted, index = False, self._resume_at
            if index == len(steps):
                return Outcome.released, "every step of the SOP passed"
            step = steps[index]
            index += 1
            if step.id in self._done_steps:
                continue
            if step.when is not None and not self._condition(step):
                self._audit("step_skipped", None, step=step.id, condition=step.when)
                if isinstance(step, ScreeningStep):
                    await self._screening_passed()
                continue
            try:
                decided = await self._run_step(step)
            except _Rerouted:
                self._leave()
                continue
            self._done_steps.add(step.id)
            if isinstance(step, RiskStep):
                self._resume_at = index
            if decided is not None:
                self._decided = decided
                await self._hold_point()
                return decided

    async def _hold_point(self) -> None:
        if self._view.hold is not None:
            workflow.logger.info("clearance on hold", extra={"mrn": self._mrn})
            await self._project(Status.in_progress)  # the read model shows where the clearance waits
            await workflow.wait_condition(
                lambda: self._view.hold is None or self._invalidation is not None or self._rescreen_outcome is not None
            )
        self._check_invalidated()

    def _interrupted(self) -> bool:
        return self._invalidation is not None or self._rerouted or self._rescreen_outcome is not None

    async def _unwind_for_reroute(self) -> None:
        """Close the current step's open tasks; the interpreter then follows the new lane."""
        cancelled = self._book.cancel_open(
            workflow.now(), f"lane re-routed to {self._view.lane}", keep=set(self._rescreen_open)
        )
        for task in cancelled:
            self._audit("task_cancelled", None, task_id=task.id, reason=task.reason)
        self._set(status=Status.in_progress)
        if cancelled:
            await self._project_tasks(cancelled)
        raise _Rerouted

    async def _run_step(self, step: Step) -> tuple[Outcome, str] | None:
        self._enter(step.id)
        if isinstance(step, ScreeningStep):
            decided = await self._screening(step)
        elif isinstance(step, LicenceCheckStep):
            decided = await self._licence_check(step)
        elif isinstance(step, RiskStep):
            decided = self._risk(step)
        elif isinstance(step, InspectionStep):
            decided = await self._inspection(step)
        elif isinstance(step, ApprovalStep):
            decided = await self._approval(step)
        else:  # pragma: no cover - the schema admits no other kinds
            raise ApplicationError(f"unknown step kind {step.kind}", type="SopError", non_retryable=True)
        self._leave()
        return decided

    async def _screening(self, step: ScreeningStep) -> tuple[Outcome, str] | None:
        result = await acts.screen_parties(
            ScreenPartiesInput(
                mrn=self._mrn,
                declaration=self._inp.declaration,
                review_threshold=step.review_threshold,
                list_revisions=self._inp.list_revisions,
                agency=self._inp.sop.agency,
                then_check_licences=self._licence_input() if self._next_step_checks_licences(step) else None,
            )
        )
        if result.licences is not None:
            # The licence check ran in the same activity: both stages take their times from the activity's clock
            # (workflow.now() does not move within one workflow task, so it cannot split them).
            self._prefetched_licences, result.licences = result.licences, None
            self._prefetched_finished_at = result.finished_at
            if result.screened_at is not None:
                self._view.timeline[-1].ended_at = max(result.screened_at, self._view.timeline[-1].started_at)
        self._view.screening = result
        self._merge_rescreen(result)
        self._check_invalidated()
        hits = [p for p in result.parties if p.status == "possible_match"]
        suppressed = [
            {"role": p.role, **s.model_dump(mode="json", include={"list", "entry_id", "false_positive_id"})}
            for p in result.parties
            for s in p.suppressed
        ]
        self._audit(
            "screened",
            None,
            parties=len(result.parties),
            possible_matches=len(hits),
            list_revisions=dict(result.list_revisions),
            suppressed=suppressed,
        )
        if not hits:
            return None
        tasks = []
        for party in hits:
            task = self._open_task(
                TaskKind.screening_review,
                step.review,
                f"Screening review: {party.name}",
                {"party": party.model_dump(mode="json")},
            )
            party.review_task_id = task.id
            tasks.append(task)
        await self._wait_for(tasks)
        confirmed = []
        for party, task in zip(hits, tasks, strict=True):
            party.status = "confirmed_match" if task.outcome == "confirmed_match" else "false_positive"
            self._decide(
                step.id,
                "screening_review",
                task.outcome or "",
                task.completed_by,
                task.reason,
                task.id,
                task.completed_at,
            )
            if party.status == "confirmed_match":
                confirmed.append(party.name)
        if confirmed:
            return step.on_confirmed_match, f"confirmed restricted-party match: {', '.join(confirmed)}"
        return None

    def _next_step_checks_licences(self, step: ScreeningStep) -> bool:
        steps = self._inp.sop.steps
        following = steps[steps.index(step) + 1] if steps.index(step) + 1 < len(steps) else None
        return isinstance(following, LicenceCheckStep) and following.when is None

    def _licence_input(self) -> CheckLicencesInput:
        return CheckLicencesInput(mrn=self._mrn, declaration=self._inp.declaration, on=self._inp.accepted_at.date())

    async def _licence_check(self, step: LicenceCheckStep) -> tuple[Outcome, str] | None:
        result = self._prefetched_licences
        if result is None:
            result = await acts.check_licences(self._licence_input())
        else:
            entry = self._view.timeline[-1]
            if self._prefetched_finished_at is not None:
                entry.ended_at = max(self._prefetched_finished_at, entry.started_at)
        self._view.licences = result
        self._depleted = any(i.licence_reference for i in result.items)
        self._audit(
            "licences_checked",
            None,
            controlled=result.controlled,
            embargoed=result.embargoed,
            depleted=[i.licence_reference for i in result.items if i.licence_reference],
        )
        self._check_invalidated()
        if result.embargoed:
            reason = result.embargo_reason or "destination under embargo"
            self._decide(step.id, "embargo", step.on_embargo.value, None, reason)
            return step.on_embargo, reason
        if not result.all_covered:
            missing = [
                f"item {i.sequence} ({i.control_code}): {i.reason}" for i in result.items if i.status == "no_licence"
            ]
            reason = "no valid licence with enough balance for " + "; ".join(missing)
            self._decide(step.id, "licence", step.on_missing_licence.value, None, reason)
            return step.on_missing_licence, reason
        return None

    def _risk(self, step: RiskStep) -> tuple[Outcome, str] | None:
        context = self._context()
        lane, reason, rule_id = step.default_lane, "no risk rule matched", None
        for rule in step.rules:
            try:
                matched = evaluate_condition(rule.when, context)
            except ExpressionError as exc:
                # Fail safe: a rule that cannot be evaluated sends the clearance to people, never to release.
                lane, reason, rule_id = Lane.red, f"rule {rule.id} could not be evaluated: {exc}", rule.id
                break
            if matched:
                lane, reason, rule_id = rule.lane, rule.reason, rule.id
                break
        selection = step.random_selection
        if selection is not None and lane in selection.applies_to:
            rate = selection.aeo_rate if self._inp.declaration.aeo else selection.rate
            if workflow.random().random() < rate:
                lane, reason, rule_id = selection.lane, f"random selection ({rate:.1%})", "random_selection"
        self._view.lane, self._view.lane_reason = lane, reason
        self._decide(step.id, "lane", lane.value, None, reason)
        self._audit("lane_assigned", None, lane=lane.value, rule=rule_id, reason=reason)
        return None

    async def _inspection(self, step: InspectionStep) -> tuple[Outcome, str] | None:
        first = self._task_number + 1
        self._inspections_started += 1
        child_id = f"{workflow.info().workflow_id}-{step.id}"
        if self._inspections_started > 1:  # the clearance was re-routed away from an earlier inspection
            child_id += f"-{self._inspections_started}"
        self._task_number += len(step.agencies)
        handle = await workflow.start_child_workflow(
            JointInspectionWorkflow.run,
            InspectionInput(
                mrn=self._mrn,
                parent_workflow_id=workflow.info().workflow_id,
                agency=self._inp.sop.agency,
                step_id=step.id,
                title=step.title,
                agencies=step.agencies,
                due=step.due,
                first_task_number=first,
                four_eyes=list(self._inp.sop.settings.four_eyes),
                reason_codes=list(self._inp.sop.settings.reason_codes),
                reason_code_required=self._inp.sop.settings.reason_code_required,
                escalation=step.escalation,
                quantity_tolerance_pct=step.quantity_tolerance_pct,
                declared_quantities={
                    i.sequence: i.quantity.value for i in self._inp.declaration.goods_items if i.quantity is not None
                },
                prior_completers=dict(self._book.completers),
                subject={"lane": self._view.lane.value if self._view.lane else None},
                notify=ClearanceSubject(
                    mrn=self._mrn,
                    lrn=self._inp.lrn,
                    agency=self._inp.sop.agency,
                    declarant_eori=self._inp.declarant_eori,
                    status=Status.awaiting_decision.value,
                    lane=self._view.lane.value if self._view.lane else None,
                ),
            ),
            id=child_id,
            parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
        )
        self._inspection_step = step
        await self._project(Status.awaiting_decision)
        outcome: list[InspectionResult] = []

        async def collect() -> None:
            outcome.append(await handle)

        collector = asyncio.create_task(collect())
        try:
            await workflow.wait_condition(lambda: collector.done() or self._interrupted())
        finally:
            self._inspection_step = None
        if not collector.done():
            handle.cancel()
            # The child ends cancelled (its tasks closed): that is the expected result here.
            with contextlib.suppress(ChildWorkflowError, asyncio.CancelledError):
                await collector
            self._check_invalidated()
            self._view.inspection_schedule = None
            self._set(status=Status.in_progress)
            raise _Rerouted
        collector.result()
        result = outcome[0]
        self._view.inspection = result
        for finding in result.findings:
            self._book.completers[finding.task_id] = finding.completed_by
            self._decide(
                step.id,
                "inspection_findings",
                finding.outcome,
                finding.completed_by,
                finding.reason,
                finding.task_id,
                at=finding.completed_at,
            )
        self._set(status=Status.in_progress)
        if result.outcome == "non_compliant":
            return step.on_non_compliant, non_compliance_reason(result)
        return None

    async def _approval(self, step: ApprovalStep) -> tuple[Outcome, str] | None:
        task = self._open_task(
            TaskKind.approval, step.task, step.title, {"lane": self._view.lane.value if self._view.lane else None}
        )
        await self._wait_for([task])
        self._decide(
            step.id, "approval", task.outcome or "", task.completed_by, task.reason, task.id, task.completed_at
        )
        decided = APPROVAL_OUTCOMES.get(task.outcome or "")
        if decided is not None:
            return decided, f"the supervisor decided to {task.outcome}: {task.reason}"
        return None

    # --- endings ---------------------------------------------------------------------------------------------

    async def _finish(self, outcome: Outcome, reason: str) -> None:
        self._view.outcome, self._view.outcome_reason = outcome, reason
        self._enter("outcome")
        self._audit("outcome", None, outcome=outcome.value, reason=reason)
        if outcome != Outcome.released and self._depleted:
            restore_reason = f"{outcome.value}: {reason}"
            await acts.restore_licences(ReleaseDepletionsInput(mrn=self._mrn, reason=restore_reason))
            self._mark_restored(restore_reason)
        await self._record_outcome(outcome, Status.completed)

    async def _finish_invalidated(self) -> None:
        cmd = self._invalidation
        assert cmd is not None
        now = workflow.now()
        self._view.outcome = Outcome.invalidated
        if self._view.timeline[-1].ended_at is None:
            self._view.timeline[-1].ended_at = now
        self._enter("invalidation")
        self._view.timeline[-1].actor = cmd.actor.id
        self._decide("invalidation", "invalidation", "invalidated", cmd.actor.id, cmd.reason)
        self._audit("invalidated", cmd.actor.id, reason=cmd.reason)
        cancelled = self._book.cancel_open(now, "declaration invalidated")
        self._view.outcome_reason = f"invalidated by {cmd.actor.id}: {cmd.reason}"
        self._cancel_rescreen_entries()
        if self._depleted:
            await acts.restore_licences(ReleaseDepletionsInput(mrn=self._mrn, reason=f"invalidated: {cmd.reason}"))
            self._mark_restored(f"invalidated: {cmd.reason}")
        await self._record_outcome(Outcome.invalidated, Status.invalidated, tasks=cancelled)

    async def _finish_rescreen_confirmed(self) -> None:
        """A re-screening review confirmed a match: open tasks are called off and the clearance is concluded."""
        assert self._rescreen_outcome is not None
        outcome, reason = self._rescreen_outcome
        cancelled = self._book.cancel_open(workflow.now(), "concluded: " + reason)
        self._cancel_rescreen_entries()
        for task in cancelled:
            self._audit("task_cancelled", None, task_id=task.id, reason=task.reason)
        if self._view.timeline[-1].ended_at is None:
            self._leave()
        self._view.hold = None
        self._view.inspection_schedule = None
        if cancelled:
            await self._project_tasks(cancelled)
        await self._finish(outcome, reason)

    async def _record_outcome(self, outcome: Outcome, status: Status, tasks: list[Task] | None = None) -> None:
        """One write for the end: the notice (rendered from the final view) and the view that lists it."""
        workflow.logger.info("clearance concluded", extra={"mrn": self._mrn, "outcome": outcome.value})
        kind = NOTICE_FOR[outcome]
        self._view.documents.append(DocumentRef(kind=kind, href=f"/v1/clearances/{self._mrn}/documents/{kind}"))
        self._leave()
        projection = self._projection(status, tasks)
        await acts.record_outcome(RecordOutcomeInput(projection=projection, notice=kind))

    def _mark_restored(self, reason: str) -> None:
        """The view shows each depletion as it stands: given back to its licence, when and why."""
        now = workflow.now()
        for item in self._view.licences.items if self._view.licences else []:
            if item.licence_reference and item.restored_at is None:
                item.restored_at, item.restore_reason = now, reason[:400]

    # --- helpers ---------------------------------------------------------------------------------------------

    def _check_invalidated(self) -> None:
        if self._invalidation is not None:
            raise _Invalidated
        if self._rescreen_outcome is not None:
            raise RescreenConcluded

    def _context(self) -> dict[str, Any]:
        licences = self._view.licences
        codes = sorted({i.control_code for i in licences.items if i.control_code}) if licences else []
        hits = sum(1 for p in self._view.screening.parties if p.status != "clear") if self._view.screening else 0
        return rule_context(
            declaration=to_cel(self._inp.declaration.model_dump()),
            controlled=bool(codes),
            control_codes=codes,
            screening_hits=hits,
            lane=self._view.lane.value if self._view.lane else "",
        )

    def _condition(self, step: Step) -> bool:
        assert step.when is not None
        try:
            return evaluate_condition(step.when, self._context())
        except ExpressionError as exc:
            # Fail safe: when in doubt, the (human) step runs.
            self._audit("expression_error", None, step=step.id, error=str(exc))
            return True

    def _open_task(self, kind: TaskKind, spec: TaskSpec, title: str, subject: dict[str, Any]) -> Task:
        self._task_number += 1
        task = self._book.open(
            number=self._task_number,
            kind=kind,
            role=spec.role,
            title=title,
            now=workflow.now(),
            due=spec.due,
            subject={**subject, "stage": self._view.stage},
            escalation=spec.escalation,
        )
        self._audit(
            "task_created", None, task_id=task.id, kind=kind.value, role=spec.role, due_at=task.due_at.isoformat()
        )
        return task

    async def _wait_for(self, tasks: list[Task]) -> None:
        workflow.logger.info("awaiting decision", extra={"mrn": self._mrn, "tasks": [t.id for t in tasks]})
        await self._project(Status.awaiting_decision, tasks=tasks)
        ids = [t.id for t in tasks]
        await self._await_tasks(ids, self._interrupted)
        self._check_invalidated()
        if self._rerouted:
            await self._unwind_for_reroute()
        completed = [self._book.tasks[i] for i in ids if self._book.tasks[i].state == TaskState.completed]
        if completed:
            self._view.timeline[-1].actor = completed[-1].completed_by
        self._set(status=Status.in_progress)

    def _decide(
        self,
        stage: str,
        kind: str,
        outcome: str,
        actor: str | None,
        reason: str | None,
        task_id: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """One clock: a decision is stamped when it was made (a task's completion, else now) and always within its
        stage's timeline entry, which may have started on an activity's clock later than workflow.now()."""
        now = workflow.now()
        start = self._view.timeline[-1].started_at if self._view.timeline else now
        stamped = min(max(at or now, start), max(now, start))
        self._view.decisions.append(
            Decision(at=stamped, stage=stage, kind=kind, outcome=outcome, actor=actor, reason=reason, task_id=task_id)
        )

    def _enter(self, stage: str) -> None:
        """Stages follow each other: a stage never starts before the previous one ended (the timeline is
        monotonic even where a stage's end came from an activity's clock)."""
        self._view.stage = stage
        previous = self._view.timeline[-1].ended_at if self._view.timeline else None
        started = max(workflow.now(), previous) if previous else workflow.now()
        self._view.timeline.append(TimelineEntry(stage=stage, started_at=started))

    def _leave(self) -> None:
        entry = self._view.timeline[-1]
        if entry.ended_at is None:
            entry.ended_at = max(workflow.now(), entry.started_at)

    def _set(self, *, status: Status) -> None:
        self._view.status = status
        self._view.updated_at = workflow.now()

    def _projection(self, status: Status, tasks: list[Task] | None) -> ProjectionInput:
        """The next revision of the read model, and the search attributes that go with it."""
        self._set(status=status)
        self._view.revision += 1
        workflow.upsert_search_attributes(
            [
                search.STATUS.value_set(status.value),
                *([search.LANE.value_set(self._view.lane.value)] if self._view.lane else []),
            ]
        )
        return ProjectionInput(
            view=self._view.model_copy(deep=True), audit=self._take_audit(), tasks=[t.model_copy() for t in tasks or []]
        )

    async def _project(self, status: Status, tasks: list[Task] | None = None) -> None:
        await acts.project_clearance(self._projection(status, tasks))
