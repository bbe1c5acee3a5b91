"""The journal: one owner of what a clearance records inside its workflows — the view (status, stage, timeline,
decisions), the audit events not yet written, and the writes that carry them to the read model.

The clearance keeps one with its view; the joint inspection and a post-release alert keep one without a view (they
write audit events and tasks of the clearance, each in its own range of audit sequence numbers). Deterministic: its
clock is workflow.now(), its writes are the local activities of `workflows.acts`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow

from domain import search
from domain.clearance import (
    AuditEvent,
    ClearanceSubject,
    ClearanceView,
    Decision,
    ProjectionInput,
    Task,
    TaskProjectionInput,
    TimelineEntry,
)
from domain.vocabulary import Status
from workflows import acts


class Journal:
    def __init__(
        self,
        *,
        mrn: str,
        audit_seq: int = 0,
        view: ClearanceView | None = None,
        notify: ClearanceSubject | None = None,
    ) -> None:
        self.mrn = mrn
        self._audit_seq = audit_seq
        self._pending_audit: list[AuditEvent] = []
        self._view = view
        # whose webhooks hear of task changes written without the view (the inspection's, an alert's)
        self.notify = notify

    @property
    def view(self) -> ClearanceView:
        assert self._view is not None, "this journal keeps no view"
        return self._view

    # --- the audit trail ---------------------------------------------------------------------------------------

    def audit(self, event: str, actor: str | None = None, **detail: Any) -> None:
        self._audit_seq += 1
        self._pending_audit.append(
            AuditEvent(seq=self._audit_seq, at=workflow.now(), kind=event, actor=actor, detail=detail)
        )

    def take_audit(self) -> list[AuditEvent]:
        events, self._pending_audit = self._pending_audit, []
        return events

    # --- the view: decisions, stages, status ------------------------------------------------------------------

    def decide(
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
        view = self.view
        now = workflow.now()
        start = view.timeline[-1].started_at if view.timeline else now
        stamped = min(max(at or now, start), max(now, start))
        view.decisions.append(
            Decision(at=stamped, stage=stage, kind=kind, outcome=outcome, actor=actor, reason=reason, task_id=task_id)
        )

    def enter(self, stage: str) -> None:
        """Stages follow each other: a stage never starts before the previous one ended (the timeline is
        monotonic even where a stage's end came from an activity's clock)."""
        view = self.view
        view.stage = stage
        previous = view.timeline[-1].ended_at if view.timeline else None
        started = max(workflow.now(), previous) if previous else workflow.now()
        view.timeline.append(TimelineEntry(stage=stage, started_at=started))

    def leave(self) -> None:
        entry = self.view.timeline[-1]
        if entry.ended_at is None:
            entry.ended_at = max(workflow.now(), entry.started_at)

    def set_status(self, status: Status) -> None:
        self.view.status = status
        self.view.updated_at = workflow.now()

    # --- writes ---------------------------------------------------------------------------------------------

    def projection(self, status: Status, tasks: list[Task] | None) -> ProjectionInput:
        """The next revision of the read model, and the search attributes that go with it."""
        view = self.view
        self.set_status(status)
        view.revision += 1
        workflow.upsert_search_attributes(
            [
                search.STATUS.value_set(status.value),
                *([search.LANE.value_set(view.lane.value)] if view.lane else []),
            ]
        )
        # The view itself, not a copy: the local activity that writes it is scheduled with its input encoded there
        # and then (`workflows.options.run_local`), so an attempt after a back-off writes this revision.
        return ProjectionInput(view=view, audit=self.take_audit(), tasks=list(tasks or []))

    async def project(self, status: Status, tasks: list[Task] | None = None) -> None:
        await acts.project_clearance(self.projection(status, tasks))

    async def project_tasks(self, tasks: list[Task]) -> None:
        """Tasks and the audit events so far, without the view (the read model of the tasks only)."""
        await acts.project_tasks(
            TaskProjectionInput(
                tasks=list(tasks),
                audit_mrn=self.mrn,
                audit=self.take_audit(),
                notify=self.notify,
            )
        )
