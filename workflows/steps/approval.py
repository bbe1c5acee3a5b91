"""The approval step: one task for the SOP's role (a supervisor, four-eyes per `settings.four_eyes`); approve lets
the SOP go on, reject and refer conclude the clearance (`domain.vocabulary.APPROVAL_OUTCOMES`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.vocabulary import APPROVAL_OUTCOMES, TaskKind
from sop.model import ApprovalStep
from workflows.progress import Decided

if TYPE_CHECKING:
    from workflows.clearance import ClearanceWorkflow


async def run(wf: ClearanceWorkflow, step: ApprovalStep) -> Decided:
    view = wf._journal.view
    task = wf._open_task(TaskKind.approval, step.task, step.title, {"lane": view.lane.value if view.lane else None})
    await wf._wait_for([task])
    wf._journal.decide(
        step.id, "approval", task.outcome or "", task.completed_by, task.reason, task.id, task.completed_at
    )
    decided = APPROVAL_OUTCOMES.get(task.outcome or "")
    if decided is not None:
        return decided, f"the supervisor decided to {task.outcome}: {task.reason}"
    return None
