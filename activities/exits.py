"""The exit sweeper: follows up released exports whose exit was not confirmed by their follow-up date.

A released clearance records its exit as awaited in `export_exits` (with its follow-up date, EXIT_FOLLOW_UP_DAYS
after release) in the transaction of its outcome (`record_outcome`). No workflow waits 90 days per release: each
worker asks the store, every `interval` seconds, for the exits still awaited past their date, and starts an
`ExportExchange` workflow (`exchange-{mrn}`, `follow_up` set) for each. That workflow takes the exit if it is still
awaited and opens the `exit_follow_up` task for customs. Workers sweeping at once start each follow-up once (the
workflow id); an exit confirmed meanwhile through the API is not followed up (`claim_follow_up` moves only an
exit still awaited). The store holds the date, so nothing is lost while no worker runs: the next sweep finds it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import structlog
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.exchange import ExportExchangeInput, FollowUp, exchange_workflow_id
from domain.webhooks import subject_of
from store import clearances as clearance_store
from store import exchange as exchange_store
from store.db import Database
from store.models import utcnow
from workflows.exchange import ExportExchangeWorkflow

log = structlog.get_logger("exits")


class ExitSweeper:
    def __init__(
        self,
        *,
        db: Database,
        client: Client,
        task_queue: str,
        follow_up_seconds: float,
        due_seconds: float,
        interval: float = 60.0,
    ) -> None:
        self._db, self._client, self._queue = db, client, task_queue
        self._follow_up, self._due = follow_up_seconds, due_seconds
        # a short follow-up period (tests, demos) is swept often enough to be met within a quarter of it
        self.interval = max(0.5, min(interval, follow_up_seconds / 4))

    async def forever(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception as exc:  # the database or Temporal away for a moment: the next round tries again
                log.warning("exit_sweep_failed", error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(self.interval)

    async def sweep(self, now: datetime | None = None) -> int:
        """Start the follow-up of every exit due by `now` (default: now); how many were started."""
        async with self._db.session() as session:
            due = await exchange_store.due_exits(session, now or utcnow())
        started = 0
        for mrn in due:
            started += await self._follow_up_one(mrn)
        return started

    async def _follow_up_one(self, mrn: str) -> int:
        async with self._db.session() as session:
            view = await clearance_store.get_view(session, mrn)
            row = await exchange_store.get_exit(session, mrn)
        if view is None or row is None or row.status != "awaiting_exit" or row.follow_up_at is None:
            return 0
        follow_up_at = row.follow_up_at
        try:
            await self._client.start_workflow(
                ExportExchangeWorkflow.run,
                ExportExchangeInput(
                    mrn=mrn,
                    agency=view.agency,
                    released_at=follow_up_at - timedelta(seconds=self._follow_up),
                    notify=subject_of(view),
                    follow_up=FollowUp(follow_up_at=follow_up_at, due_seconds=self._due),
                ),
                id=exchange_workflow_id(mrn),
                task_queue=self._queue,
            )
        except WorkflowAlreadyStartedError:  # another worker's sweep, or the exchange workflow of an older release
            return 0
        log.info("exit_follow_up_started", mrn=mrn, follow_up_at=follow_up_at.isoformat())
        return 1
