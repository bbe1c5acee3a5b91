"""Joint inspection: one consignment, one findings task per participating agency, one consolidated result."""

from __future__ import annotations

import asyncio
from datetime import datetime

from temporalio import workflow

from domain.clearance import (
    AgencyFinding,
    InspectionInput,
    InspectionResult,
    Task,
    TaskKind,
    TaskState,
)
from domain.inspection import FindingsError, QuantityCheck, parse_findings, quantity_checks, quantity_deviations
from workflows.human import HumanTasks
from workflows.journal import Journal
from workflows.tasks import TaskBook

ESCALATION_TO_PARENT_PATCH = "inspection-escalation-to-parent"
TASK_ESCALATED_SIGNAL = "inspection_task_escalated"


@workflow.defn(name="JointInspection")
class JointInspectionWorkflow(HumanTasks):
    @workflow.init
    def __init__(self, inp: InspectionInput) -> None:
        self._mrn = inp.mrn
        self._signals: list[asyncio.Task[None]] = []
        # Audit sequence numbers of the child live in their own range so they never collide with the parent's.
        self._journal = Journal(mrn=inp.mrn, audit_seq=1_000_000 * inp.first_task_number, notify=inp.notify)
        self._parent_workflow_id = inp.parent_workflow_id
        self._book = TaskBook(
            mrn=inp.mrn,
            workflow_id=workflow.info().workflow_id,
            agency=inp.agency,
            four_eyes=inp.four_eyes,
            prior_completers=inp.prior_completers,
            reason_codes=inp.reason_codes,
            reason_code_required=inp.reason_code_required,
            declared_quantities=inp.declared_quantities,
            quantity_tolerance_pct=inp.quantity_tolerance_pct,
        )

    def _on_task_change(self, task: Task, now: datetime) -> None:
        """An escalation is a decision of the clearance: the parent records it in its view (decisions, timeline)."""
        if task.escalated_from is not None and workflow.patched(ESCALATION_TO_PARENT_PATCH):
            parent = workflow.get_external_workflow_handle(self._parent_workflow_id)
            self._signals.append(asyncio.create_task(parent.signal(TASK_ESCALATED_SIGNAL, task.model_copy())))

    @workflow.run
    async def run(self, inp: InspectionInput) -> InspectionResult:
        now = workflow.now()
        tasks = [
            self._book.open(
                number=inp.first_task_number + n,
                kind=TaskKind.inspection_findings,
                role=a.role,
                title=a.title,
                now=now,
                due=inp.due,
                subject={**inp.subject, "inspection": inp.step_id, "inspecting_agency": a.agency},
                escalation=inp.escalation,
                agency=inp.parties.get(a.agency),  # the export-control verification is that authority's task
            )
            for n, a in enumerate(inp.agencies)
        ]
        ids = [t.id for t in tasks]
        self._journal.audit("inspection_scheduled", None, tasks=ids, agencies=[a.agency for a in inp.agencies])
        for task in tasks:
            self._journal.audit(
                "task_created",
                None,
                task_id=task.id,
                kind=task.kind.value,
                role=task.role,
                due_at=task.due_at.isoformat(),
            )
        await self._journal.project_tasks(tasks)
        try:
            await self._await_tasks(ids)
        except asyncio.CancelledError:
            cancelled = self._book.cancel_open(workflow.now(), "clearance ended before the inspection finished")
            self._journal.audit("inspection_cancelled", None, tasks=[t.id for t in cancelled])
            await self._journal.project_tasks(cancelled)
            raise
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._signals:
            await asyncio.gather(*self._signals, return_exceptions=True)  # a parent that is gone hears nothing
        findings = [
            AgencyFinding(
                agency=a.agency,
                task_id=t.id,
                outcome=t.outcome or "",
                reason=t.reason or "",
                findings=t.findings,
                completed_by=t.completed_by or "",
                completed_at=t.completed_at or now,
            )
            for a, t in zip(inp.agencies, (self._book.tasks[i] for i in ids), strict=True)
            if t.state == TaskState.completed
        ]
        return consolidate(findings, inp)


def consolidate(findings: list[AgencyFinding], inp: InspectionInput) -> InspectionResult:
    """Any agency's non-compliance, or a counted quantity beyond the SOP's tolerance, makes the inspection
    non-compliant; deviations within the tolerance are released with a note."""
    notes = [
        f"{f.agency}: non-compliant ({f.completed_by}: {f.reason})" for f in findings if f.outcome == "non_compliant"
    ]
    non_compliant = bool(notes)
    checks: list[QuantityCheck] = []
    for finding in findings:
        try:
            parsed = parse_findings(finding.findings)
            beyond, within = quantity_deviations(parsed, inp.declared_quantities, inp.quantity_tolerance_pct)
            checks += quantity_checks(finding.agency, parsed, inp.declared_quantities, inp.quantity_tolerance_pct)
        except (FindingsError, ArithmeticError):
            # Findings recorded before today's bounds that no longer read: fail safe, people decide.
            beyond, within = ["the recorded findings could not be read"], []
        non_compliant = non_compliant or bool(beyond)
        notes += [f"{finding.agency}: beyond tolerance, {text}" for text in beyond]
        notes += [f"{finding.agency}: within tolerance, {text}" for text in within]
    return InspectionResult(
        outcome="non_compliant" if non_compliant else "compliant",
        findings=findings,
        notes=notes,
        quantity_tolerance_pct=inp.quantity_tolerance_pct,
        quantity_checks=checks,
    )


def non_compliance_reason(result: InspectionResult) -> str:
    """What made the joint inspection non-compliant, in the officers' words: each agency that found the goods
    non-compliant (who, and why) and each counted quantity beyond the tolerance (with the numbers)."""
    grounds = [
        f"{f.agency} found the goods non-compliant ({f.completed_by}: {f.reason or 'no reason given'})"
        for f in result.findings
        if f.outcome == "non_compliant"
    ]
    grounds += [f"{c.agency} counted {c.describe()}" for c in result.quantity_checks if c.beyond_tolerance]
    return "joint inspection non-compliant: " + ("; ".join(grounds) or "no finding recorded")
