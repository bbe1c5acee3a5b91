"""The clearance's records: the read model and audit trail written from the workflow's view (forward only, by
revision), task rows, and the notice an outcome ends with — each followed by the webhook events it plans. The
workflow side is `workflows/journal.py` and `workflows/endings.py`."""

from __future__ import annotations

import structlog
from temporalio import activity

from activities.exchange import ExchangeActivities
from activities.webhooks import plan_and_dispatch
from documents.render import render_notice
from domain.clearance import ProjectionInput, RecordOutcomeInput, TaskProjectionInput
from domain.exchange import ReleaseExchange
from domain.webhooks import subject_of
from store import clearances as clearance_store
from store.db import Database
from store.exchange import AuditBatch
from workflows import options

log = structlog.get_logger("activities")


class RecordActivities:
    """Mixin of `ClearanceActivities` (which injects the database and the exchange's activities)."""

    _db: Database
    _exchange: ExchangeActivities | None

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
    async def record_outcome(self, inp: RecordOutcomeInput) -> ReleaseExchange | None:
        """Render and store the notice, and write the final view, in one transaction. A release
        (`inp.exchange`) has its exchange in that transaction too (`ExchangeActivities.stage_release`: the exit
        awaited, the partner's notification, delivered there and then to a partner this engine embeds), and a
        remote partner's first delivery after the commit: how it went."""
        view = inp.projection.view
        exchange = self._exchange if inp.exchange else None
        html = render_notice(inp.notice, view, issued_at=view.updated_at)
        staged: ReleaseExchange | None = None
        prepared = await exchange.prepare_release(view) if exchange is not None else None
        async with self._db.writer() as session:
            await clearance_store.store_document(
                session, mrn=view.mrn, kind=inp.notice, html=html, issued_at=view.updated_at, commit=False
            )
            projection = inp.projection
            if exchange is not None and prepared is not None:
                batch = AuditBatch()
                staged = await exchange.stage_release(session, batch, view, prepared)
                # the exchange's events join the outcome's in one append of the clearance's trail
                projection = projection.model_copy(update={"audit": [*projection.audit, *batch.take(view.mrn)]})
                await batch.flush(session)
            await clearance_store.project(session, projection)
        await plan_and_dispatch(self._db, subject_of(view), inp.projection.audit)
        log.info(
            "outcome_recorded", mrn=view.mrn, outcome=view.outcome.value if view.outcome else None, notice=inp.notice
        )
        if exchange is None or staged is None:
            return None
        return await exchange.finish_release(view.mrn, staged)
