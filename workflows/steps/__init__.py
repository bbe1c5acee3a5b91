"""The step runners of the clearance's interpreter, one module per SOP step kind (the stage's activity, adapter
and tests carry the same name; see the README's Architecture section).

Each runner is `run(wf, step) -> Decided` (an outcome and its reason, or None to go on): it works on the
clearance workflow's own state (its journal, task book and progress), so these modules are parts of that
workflow and stay deterministic like it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio.exceptions import ApplicationError

from sop.model import ApprovalStep, InspectionStep, LicenceCheckStep, RiskStep, ScreeningStep, Step
from workflows.progress import Decided
from workflows.steps import approval, inspection, licence_check, risk, screening

if TYPE_CHECKING:
    from workflows.clearance import ClearanceWorkflow


async def run_step(wf: ClearanceWorkflow, step: Step) -> Decided:
    wf._journal.enter(step.id)
    if isinstance(step, ScreeningStep):
        decided = await screening.run(wf, step)
    elif isinstance(step, LicenceCheckStep):
        decided = await licence_check.run(wf, step)
    elif isinstance(step, RiskStep):
        decided = risk.run(wf, step)
    elif isinstance(step, InspectionStep):
        decided = await inspection.run(wf, step)
    elif isinstance(step, ApprovalStep):
        decided = await approval.run(wf, step)
    else:  # pragma: no cover - the schema admits no other kinds
        raise ApplicationError(f"unknown step kind {step.kind}", type="SopError", non_retryable=True)
    wf._journal.leave()
    return decided
