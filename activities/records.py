"""The clearance's records: the read model and audit trail written from the workflow's view (forward only, by
revision), task rows, and the notice an outcome ends with — each followed by the webhook events it plans. The
workflow side is `workflows/journal.py` and `workflows/endings.py`."""

from __future__ import annotations

import structlog
from temporalio import activity

from activities.webhooks import plan_and_dispatch
from documents.render import render_notice
from domain.clearance import ProjectionInput, RecordOutcomeInput, TaskProjectionInput
from domain.webhooks import subject_of
from store import clearances as clearance_store
from store.db import Database
from workflows import options

log = structlog.get_logger("activities")


class RecordActivities:
    """Mixin of `ClearanceActivities` (which injects the database)."""

    _db: Database

    @activity.defn(name=options.PROJECT_CLEARANCE)
    async def project_clearance(self, inp: ProjectionInput) -> None:
        async with self._db.writer() as session:
            await clearance_store.project(session, inp)
        await plan_and_dispatch(self._db, subject_of(inp.view), inp.audit)
        log.debug("clearance_projected", mrn=inp.view.mrn, status=inp.view.status.value, revision=inp.view.revision)

    @activity.defn(name=options.PROJECT_TASKS)
    async def project_tasks(self, inp: TaskProjectionInput) -> None:
        async with self._db.writer() as session:
            await clearance_store.project_tasks(session, inp.tasks, inp.audit_mrn, inp.audit)
        if inp.notify is not None:
            await plan_and_dispatch(self._db, inp.notify, inp.audit)

    @activity.defn(name=options.RECORD_OUTCOME)
    async def record_outcome(self, inp: RecordOutcomeInput) -> None:
        """Render and store the notice, and write the final view, in one transaction."""
        view = inp.projection.view
        html = render_notice(inp.notice, view, issued_at=view.updated_at)
        async with self._db.writer() as session:
            await clearance_store.store_document(
                session, mrn=view.mrn, kind=inp.notice, html=html, issued_at=view.updated_at, commit=False
            )
            await clearance_store.project(session, inp.projection)
        await plan_and_dispatch(self._db, subject_of(view), inp.projection.audit)
        log.info(
            "outcome_recorded", mrn=view.mrn, outcome=view.outcome.value if view.outcome else None, notice=inp.notice
        )
