"""The licence check step: each goods item classified against the control list, the destination against the
embargoes, and a controlled item's licence depleted exactly once (activities/licences.py, behind
adapters/licences.py). An embargo or a missing licence concludes the clearance (`on_embargo`,
`on_missing_licence`); depletions are given back when it ends without release (workflows/endings.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.clearance import CheckLicencesInput, LicenceCheckResult
from sop.model import LicenceCheckStep
from workflows import options
from workflows.progress import Decided

if TYPE_CHECKING:
    from workflows.clearance import ClearanceWorkflow


def licence_input(wf: ClearanceWorkflow) -> CheckLicencesInput:
    return CheckLicencesInput(mrn=wf._mrn, declaration=wf._inp.declaration, on=wf._inp.accepted_at.date())


async def run(wf: ClearanceWorkflow, step: LicenceCheckStep) -> Decided:
    view, progress = wf._journal.view, wf._progress
    result = progress.prefetched_licences
    if result is None:
        result = await wf._agency_call(
            options.CHECK_LICENCES, licence_input(wf), LicenceCheckResult, "licence registry"
        )
    else:
        entry = view.timeline[-1]
        if progress.prefetched_finished_at is not None:
            entry.ended_at = max(progress.prefetched_finished_at, entry.started_at)
    view.licences = result
    wf._standing.licences_checked(result)
    progress.depleted = any(i.licence_reference for i in result.items)
    wf._journal.audit(
        "licences_checked",
        None,
        controlled=result.controlled,
        embargoed=result.embargoed,
        depleted=[i.licence_reference for i in result.items if i.licence_reference],
    )
    wf._check_invalidated()
    if result.embargoed:
        reason = result.embargo_reason or "destination under embargo"
        wf._journal.decide(step.id, "embargo", step.on_embargo.value, None, reason)
        return step.on_embargo, reason
    if not result.all_covered:
        missing = [
            f"item {i.sequence} ({i.control_code}): {i.reason}" for i in result.items if i.status == "no_licence"
        ]
        reason = "no valid licence with enough balance for " + "; ".join(missing)
        wf._journal.decide(step.id, "licence", step.on_missing_licence.value, None, reason)
        return step.on_missing_licence, reason
    return None
