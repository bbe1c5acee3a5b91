"""Each agency's standing on the clearance (`agencies` in the view), kept by the clearance workflow.

What changes a standing (rules in `domain/standing.py`): customs takes part from acceptance; the export-control
authority when the licence check finds controlled goods (the covering licence lets it proceed, a missing one is
its refusal), when it is given a task (pending until its officer decides: `false_positive` / `compliant` let it
proceed, `confirmed_match` / `non_compliant` are its refusal) and when it takes part in the joint inspection. An
officer's hold is its agency's hold until released (the standing before it comes back). At the end customs
releases only when every other party may proceed (`gate`): a party's refusal ends in referral, a party pending or
holding is waited for. Every change is an `agency_standing` audit event.

Deterministic and thin: no I/O; the standing travels in the view with the clearance's next projection. Clearances
recorded before standings existed replay without them (`STANDING_PATCH`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio import workflow

from domain import standing as rules
from domain.clearance import Actor, InspectionResult, LicenceCheckResult, Task
from domain.standing import AgencyStanding, StandingStatus
from domain.vocabulary import Outcome, TaskState
from sop.model import InspectionStep

if TYPE_CHECKING:
    from workflows.clearance import ClearanceWorkflow

STANDING_PATCH = "agency-standing"


class Standings:
    """The clearance's parties and their standing; `enabled` once the workflow runs with standings."""

    def __init__(self, wf: ClearanceWorkflow) -> None:
        self._wf = wf
        sop_agency = wf._inp.sop.agency
        self.customs = wf._inp.parties.get(rules.CUSTOMS, sop_agency)
        self.parties: dict[str, str] = {rules.CUSTOMS: self.customs, **wf._inp.parties}
        self.enabled = False
        self._before_hold: dict[str, StandingStatus] = {}
        self._before_inspection: dict[str, AgencyStanding] | None = None

    @property
    def _view_agencies(self) -> list[AgencyStanding]:
        return self._wf._journal.view.agencies

    def begin(self) -> None:
        """At the start of the run: customs takes part in every clearance."""
        self.enabled = self._wf._patched(STANDING_PATCH)
        if self.enabled:
            self.require(rules.CUSTOMS)

    def get(self, agency: str) -> AgencyStanding | None:
        return next((s for s in self._view_agencies if s.agency == agency), None)

    def task_agency(self, role: str) -> str:
        """Whose task one for `role` is (the SOP's agency while standings are off)."""
        if not self.enabled:
            return self._wf._inp.sop.agency
        return rules.task_agency(self.parties, role, self.customs)

    def registers(self) -> list[str]:
        """The other parties whose registers of known false positives apply to screening: the export-control
        authority decides the possible matches, so its officers' records count."""
        if not self.enabled:
            return []
        return [a for a in (self.parties.get(rules.EXPORT_CONTROL),) if a is not None and a != self.customs]

    def require(self, kind: str) -> AgencyStanding | None:
        """The party of `kind` takes part (pending, when it did not yet); None when the clearance has none."""
        agency = self.parties.get(kind)
        if not self.enabled or agency is None:
            return None
        found = self.get(agency)
        if found is None:
            found = AgencyStanding(agency=agency, kind=kind)
            self._view_agencies.append(found)
            self._wf._journal.audit("agency_standing", None, agency=agency, kind=kind, status="pending", previous=None)
        return found

    def set(self, agency: str, status: StandingStatus, by: str | None, reason: str | None) -> None:
        """A decision of `agency`; while one of its officers holds the clearance, the hold stays what it shows and the
        decision is what it stands at once the hold is released."""
        found = self.get(agency) or self.require(rules.kind_of(self.parties, agency))
        if found is None:
            return
        if agency in self._before_hold and status != "hold":
            self._before_hold[agency] = status
            self._wf._journal.audit(
                "agency_standing", by, agency=agency, kind=found.kind, status=status, reason=reason, while_held=True
            )
            return
        if found.status == status:
            return
        previous = found.status
        found.status, found.by, found.reason = status, by, reason
        found.decided_at = None if status == "pending" else workflow.now()
        self._wf._journal.audit(
            "agency_standing", by, agency=agency, kind=found.kind, status=status, previous=previous, reason=reason
        )

    # --- what changes a standing ------------------------------------------------------------------------------

    def licences_checked(self, result: LicenceCheckResult) -> None:
        if not self.enabled or not result.controlled or result.embargoed:
            return
        party = self.require(rules.EXPORT_CONTROL)
        if party is None:
            return
        if result.all_covered:
            refs = sorted({i.licence_reference for i in result.items if i.licence_reference})
            self.set(party.agency, "may_proceed", None, "controlled goods covered by licence " + ", ".join(refs))
        else:
            self.set(party.agency, "refused", None, "controlled goods without a valid licence")

    def task_opened(self, task: Task) -> None:
        if self.enabled and task.agency != self.customs:
            self.set(task.agency, "pending", None, f"{task.kind.value} {task.id} open")

    def task_changed(self, task: Task) -> None:
        """A completed task of another agency decides its standing, once none of its tasks is open."""
        if not self.enabled or task.agency == self.customs or task.state != TaskState.completed:
            return
        still_open = any(t.agency == task.agency and t.state == TaskState.open for t in self._wf._book.tasks.values())
        if not still_open:
            status = rules.status_after(task.outcome)
            self.set(task.agency, status, task.completed_by, f"{task.kind.value} {task.id}: {task.outcome}")

    def inspection_started(self, step: InspectionStep) -> dict[str, str]:
        """Every participant is pending until its finding; answers the child's parties (none while off)."""
        if not self.enabled:
            return {}
        self._before_inspection = {s.agency: s.model_copy() for s in self._view_agencies}
        for participant in step.agencies:
            party = self.require(participant.agency)
            if party is not None and party.agency != self.customs:
                self.set(party.agency, "pending", None, f"{step.id}: {participant.title}")
        return {p.agency: self.parties[p.agency] for p in step.agencies if p.agency in self.parties}

    def inspection_cancelled(self) -> None:
        """Re-routed away from the inspection: each party stands where it stood before it."""
        before, self._before_inspection = self._before_inspection, None
        if not self.enabled or before is None:
            return
        for current in list(self._view_agencies):
            earlier = before.get(current.agency)
            if earlier is None and current.agency != self.customs:
                self._view_agencies.remove(current)
                self._wf._journal.audit(
                    "agency_standing", None, agency=current.agency, status="withdrawn", previous=current.status
                )
            elif earlier is not None and earlier.status != current.status:
                self.set(current.agency, earlier.status, None, "inspection called off by a re-route")

    def inspection_done(self, result: InspectionResult) -> None:
        self._before_inspection = None
        if not self.enabled:
            return
        for finding in result.findings:
            agency = self.parties.get(finding.agency)
            if agency is not None and agency != self.customs:
                status = rules.status_after(finding.outcome)
                self.set(agency, status, finding.completed_by, f"inspection {finding.task_id}: {finding.outcome}")

    def hold_placed(self, actor: Actor) -> str | None:
        """An officer's hold is its agency's: answers that agency (None while off)."""
        if not self.enabled:
            return None
        found = self.get(actor.agency)
        if found is None:
            return None
        before = found.status
        self.set(actor.agency, "hold", actor.id, "hold placed")
        self._before_hold[actor.agency] = before
        return actor.agency

    def hold_released(self, agency: str | None, actor: Actor) -> None:
        if self.enabled and agency is not None and agency in self._before_hold:
            self.set(agency, self._before_hold.pop(agency), actor.id, "hold released")

    # --- the end ----------------------------------------------------------------------------------------------

    def _settled(self) -> bool:
        """Every party may proceed, one refused, or the clearance is being concluded from outside."""
        standings = self._view_agencies
        return (
            not rules.blocking(standings, self.customs)
            or bool(rules.refusals(standings))
            or self._wf._progress.invalidation is not None
            or self._wf._rescreen_outcome is not None
        )

    def rescreen_concluded(self) -> None:
        """A re-screening review confirmed a match (the export-control authority's refusal): customs refuses too."""
        if self.enabled and self._wf._rescreen_outcome is not None:
            outcome, reason = self._wf._rescreen_outcome
            self.set(self.customs, "refused", None, f"{outcome.value}: {reason}"[:400])

    async def gate(self, outcome: Outcome, reason: str) -> tuple[Outcome, str]:
        """Customs releases only when every party may proceed: a refusal ends in referral; a party still pending or
        holding is waited for (an invalidation or a confirmed re-screening still ends the clearance)."""
        if not self.enabled:
            return outcome, reason
        if outcome == Outcome.released:
            await workflow.wait_condition(self._settled)
            self._wf._check_invalidated()
            refused = rules.refusals(self._view_agencies)
            if refused:
                outcome = Outcome.referred
                reason = "; ".join(f"{s.agency} refused ({s.reason or 'no reason given'})" for s in refused)
        last = self._wf._journal.view.timeline[-1].actor
        if outcome == Outcome.released:
            self.set(self.customs, "may_proceed", last, "every party may proceed; released")
        else:
            self.set(self.customs, "refused", last, f"{outcome.value}: {reason}"[:400])
        return outcome, reason
