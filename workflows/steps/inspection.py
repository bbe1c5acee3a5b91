"""The inspection step, the clearance's side: it starts the joint inspection (the `JointInspection` child,
workflows/inspection.py: one findings task per agency, one consolidated result) and waits for it; a re-route or an
invalidation cancels the child. A non-compliant result concludes the clearance (`on_non_compliant`)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from temporalio import workflow
from temporalio.exceptions import ChildWorkflowError
from temporalio.workflow import ParentClosePolicy

from domain.clearance import ClearanceSubject, InspectionInput, InspectionResult
from domain.vocabulary import Status
from sop.model import InspectionStep
from workflows.inspection import JointInspectionWorkflow, non_compliance_reason
from workflows.progress import Decided, Rerouted

if TYPE_CHECKING:
    from workflows.clearance import ClearanceWorkflow


def _child_input(wf: ClearanceWorkflow, step: InspectionStep, first: int, parties: dict[str, str]) -> InspectionInput:
    inp, view = wf._inp, wf._journal.view
    return InspectionInput(
        mrn=wf._mrn,
        parent_workflow_id=workflow.info().workflow_id,
        agency=inp.sop.agency,
        step_id=step.id,
        title=step.title,
        agencies=step.agencies,
        due=step.due,
        first_task_number=first,
        four_eyes=list(inp.sop.settings.four_eyes),
        reason_codes=list(inp.sop.settings.reason_codes),
        reason_code_required=inp.sop.settings.reason_code_required,
        escalation=step.escalation,
        quantity_tolerance_pct=step.quantity_tolerance_pct,
        declared_quantities={
            i.sequence: i.quantity.value for i in inp.declaration.goods_items if i.quantity is not None
        },
        prior_completers=dict(wf._book.completers),
        parties=parties,
        subject={"lane": view.lane.value if view.lane else None},
        notify=ClearanceSubject(
            mrn=wf._mrn,
            lrn=inp.lrn,
            agency=inp.sop.agency,
            declarant_eori=inp.declarant_eori,
            status=Status.awaiting_decision.value,
            lane=view.lane.value if view.lane else None,
        ),
    )


async def run(wf: ClearanceWorkflow, step: InspectionStep) -> Decided:
    view, progress, journal = wf._journal.view, wf._progress, wf._journal
    first = progress.task_number + 1
    progress.inspections_started += 1
    child_id = f"{workflow.info().workflow_id}-{step.id}"
    if progress.inspections_started > 1:  # the clearance was re-routed away from an earlier inspection
        child_id += f"-{progress.inspections_started}"
    progress.task_number += len(step.agencies)
    parties = wf._standing.inspection_started(step)
    handle = await workflow.start_child_workflow(
        JointInspectionWorkflow.run,
        _child_input(wf, step, first, parties),
        id=child_id,
        parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
    )
    progress.inspection_step = step
    await journal.project(Status.awaiting_decision)
    outcome: list[InspectionResult] = []

    async def collect() -> None:
        outcome.append(await handle)

    collector = asyncio.create_task(collect())
    try:
        await workflow.wait_condition(lambda: collector.done() or wf._interrupted())
    finally:
        progress.inspection_step = None
    if not collector.done():
        handle.cancel()
        # The child ends cancelled (its tasks closed): that is the expected result here.
        with contextlib.suppress(ChildWorkflowError, asyncio.CancelledError):
            await collector
        wf._check_invalidated()
        wf._standing.inspection_cancelled()
        view.inspection_schedule = None
        journal.set_status(Status.in_progress)
        raise Rerouted
    collector.result()
    result = outcome[0]
    view.inspection = result
    wf._standing.inspection_done(result)
    for finding in result.findings:
        wf._book.completers[finding.task_id] = finding.completed_by
        journal.decide(
            step.id,
            "inspection_findings",
            finding.outcome,
            finding.completed_by,
            finding.reason,
            finding.task_id,
            at=finding.completed_at,
        )
    journal.set_status(Status.in_progress)
    if result.outcome == "non_compliant":
        return step.on_non_compliant, non_compliance_reason(result)
    return None
