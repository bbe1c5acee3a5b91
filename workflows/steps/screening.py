"""The screening step: every party against the restricted-party lists (activities/screening.py, behind
adapters/screening.py); a possible match becomes a `screening_review` task, a confirmed one concludes the
clearance (`on_confirmed_match`). When the licence check follows unconditionally, the same activity runs it for a
clearance whose parties are all clear (the green lane's common path)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.clearance import ScreeningResult, ScreenPartiesInput, TaskKind
from sop.model import LicenceCheckStep, ScreeningStep
from workflows import options
from workflows.progress import Decided
from workflows.steps.licence_check import licence_input

if TYPE_CHECKING:
    from workflows.clearance import ClearanceWorkflow


async def run(wf: ClearanceWorkflow, step: ScreeningStep) -> Decided:
    view, progress = wf._journal.view, wf._progress
    result = await wf._agency_call(
        options.SCREEN_PARTIES,
        ScreenPartiesInput(
            mrn=wf._mrn,
            declaration=wf._inp.declaration,
            review_threshold=step.review_threshold,
            list_revisions=wf._inp.list_revisions,
            agency=wf._inp.sop.agency,
            also_registers=wf._standing.registers(),
            then_check_licences=licence_input(wf) if _next_step_checks_licences(wf, step) else None,
        ),
        ScreeningResult,
        "screening service",
    )
    if result.licences is not None:
        # The licence check ran in the same activity: both stages take their times from the activity's clock
        # (workflow.now() does not move within one workflow task, so it cannot split them).
        progress.prefetched_licences, result.licences = result.licences, None
        progress.prefetched_finished_at = result.finished_at
        if result.screened_at is not None:
            view.timeline[-1].ended_at = max(result.screened_at, view.timeline[-1].started_at)
    view.screening = result
    wf._merge_rescreen(result)
    wf._check_invalidated()
    hits = [p for p in result.parties if p.status == "possible_match"]
    suppressed = [
        {"role": p.role, **s.model_dump(mode="json", include={"list", "entry_id", "false_positive_id"})}
        for p in result.parties
        for s in p.suppressed
    ]
    wf._journal.audit(
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
        task = wf._open_task(
            TaskKind.screening_review,
            step.review,
            f"Screening review: {party.name}",
            {"party": party.model_dump(mode="json")},
        )
        party.review_task_id = task.id
        tasks.append(task)
    await wf._wait_for(tasks)
    confirmed = []
    for party, task in zip(hits, tasks, strict=True):
        party.status = "confirmed_match" if task.outcome == "confirmed_match" else "false_positive"
        wf._journal.decide(
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


def _next_step_checks_licences(wf: ClearanceWorkflow, step: ScreeningStep) -> bool:
    steps = wf._inp.sop.steps
    following = steps[steps.index(step) + 1] if steps.index(step) + 1 < len(steps) else None
    return isinstance(following, LicenceCheckStep) and following.when is None
