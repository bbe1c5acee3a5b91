"""Webhook activities: planning deliveries from a clearance's new audit events, and delivering one."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import structlog
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from adapters.webhook_endpoints import EndpointPolicy, EndpointRefused, post_pinned, vet
from domain import audience
from domain.clearance import AuditEvent, ClearanceSubject
from domain.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    FROM_AUDIT,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    delivery_id,
    payload,
    sign,
)
from store import webhooks as webhook_store
from store.db import Database
from store.secrets import SecretBox
from workflows.webhook import DELIVER, GIVE_UP

log = structlog.get_logger("webhooks")
START_TIMEOUT_SECONDS = 5.0
SWEEP_SECONDS = 30.0  # a delivery planned this long ago and never attempted has its workflow started (again)
_starting: set[asyncio.Task[int]] = set()


async def plan(db: Database, subject: ClearanceSubject, audit: list[AuditEvent]) -> list[str]:
    """Plan a delivery per (subscription, new event). Idempotent: delivery ids derive from subscription, MRN and
    event sequence, so a retried activity plans nothing twice."""
    events = [(e, FROM_AUDIT[e.kind]) for e in audit if e.kind in FROM_AUDIT]
    if not events:
        return []
    subscribers = await webhook_store.read_matching(db, agency=subject.agency, declarant_eori=subject.declarant_eori)
    rows = []
    for s in subscribers:
        for e, name in events:
            if name not in s.events:
                continue
            # a declarant's subscription gets the declarant's view of the event (domain/audience.py), or nothing
            detail = audience.webhook_detail(name, e.detail, declarant=s.declarant_eori is not None)
            if detail is None:
                continue
            did = delivery_id(s.id, subject.mrn, e.seq)
            body = payload(name, e.model_copy(update={"detail": detail}), subject, did)
            rows.append({"id": did, "subscription_id": s.id, "event": name, "mrn": subject.mrn, "payload": body})
    if not rows:
        return []
    async with db.writer() as session:
        await webhook_store.plan(session, rows)
        await session.commit()
    return [str(row["id"]) for row in rows]


async def start_deliveries(client: Client, task_queue: str, ids: list[str]) -> int:
    """Start each delivery's workflow (a start already made is a no-op); how many could not be started."""
    failed = 0
    for planned in ids:
        try:
            await asyncio.wait_for(
                client.start_workflow(
                    "WebhookDelivery",
                    planned,
                    id=f"webhook-{planned}",
                    task_queue=task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                ),
                timeout=START_TIMEOUT_SECONDS,
            )
        except WorkflowAlreadyStartedError:  # started before (an earlier attempt, or the sweep)
            pass
        except Exception as exc:  # Temporal slow or down: the sweep starts it later
            failed += 1
            log.warning("webhook_start_failed", delivery=planned, error=f"{type(exc).__name__}: {exc}")
    return failed


def dispatch(client: Client, task_queue: str, ids: list[str]) -> None:
    """Start the deliveries' workflows in the background: the clearance's activity never waits for Temporal to
    accept them. One that is not started (Temporal slow, the worker killed) is started by `sweep`."""
    if ids:
        task = asyncio.get_running_loop().create_task(start_deliveries(client, task_queue, ids))
        _starting.add(task)
        task.add_done_callback(_starting.discard)


async def plan_and_dispatch(db: Database, subject: ClearanceSubject, audit: list[AuditEvent]) -> list[str]:
    """From a clearance's projection activity: plan (in the database, before the activity completes, so nothing
    is lost) and dispatch (off the clearance's path)."""
    ids = await plan(db, subject, audit)
    if ids:
        dispatch(activity.client(), activity.info().task_queue, ids)
        log.info("webhooks_planned", mrn=subject.mrn, deliveries=len(ids))
    return ids


async def sweep(db: Database, client: Client, task_queue: str, *, older_than_seconds: float = SWEEP_SECONDS) -> int:
    """Start the workflows of deliveries planned a while ago and never attempted; how many it tried."""
    async with db.session() as session:
        ids = await webhook_store.undispatched(session, older_than_seconds=older_than_seconds, limit=500)
    if ids:
        failed = await start_deliveries(client, task_queue, ids)
        log.info("webhooks_swept", deliveries=len(ids), not_started=failed)
    return len(ids)


async def sweep_forever(db: Database, client: Client, task_queue: str) -> None:
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            await sweep(db, client, task_queue)
        except Exception as exc:  # the database or Temporal away for a moment: the next round tries again
            log.warning("webhook_sweep_failed", error=f"{type(exc).__name__}: {exc}")


class WebhookActivities:
    def __init__(self, *, db: Database, timeout: float, policy: EndpointPolicy, box: SecretBox) -> None:
        self._db = db
        self._timeout = timeout
        self._policy = policy
        self._box = box

    def all(self) -> list[Callable[..., Any]]:
        return [self.deliver, self.give_up]

    @activity.defn(name=DELIVER)
    async def deliver(self, delivery_id: str) -> None:
        """POST the signed event to the vetted, pinned address; any answer but 2xx (or none) fails the attempt for
        Temporal to retry; an address that is refused fails the delivery at once."""
        async with self._db.session() as session:
            found = await webhook_store.delivery(session, delivery_id)
        if found is None:
            raise ApplicationError(f"delivery {delivery_id} does not exist", type="NotFound", non_retryable=True)
        row, subscription = found
        if row.status != "pending":
            return
        if not subscription.active:
            async with self._db.writer() as session:
                await webhook_store.give_up(session, delivery_id, status="cancelled")
            return
        body = json.dumps(row.payload, separators=(",", ":")).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(webhook_store.secret_of(self._box, subscription), timestamp, row.id, body),
            TIMESTAMP_HEADER: str(timestamp),
            EVENT_HEADER: row.event,
            DELIVERY_HEADER: row.id,
        }
        status, error, refused = None, None, False
        try:
            target = await vet(subscription.url, self._policy)
            status = await post_pinned(target, body, headers, timeout=self._timeout)
            if not 200 <= status < 300:
                error = f"HTTP {status}" + (" (redirects are not followed)" if 300 <= status < 400 else "")
        except EndpointRefused as exc:
            error, refused = f"refused: {exc}", True
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        async with self._db.writer() as session:
            await webhook_store.record_attempt(
                session, delivery_id, status_code=status, error=error, delivered=error is None
            )
        if refused:
            log.warning("webhook_refused", delivery=delivery_id, mrn=row.mrn, error=error)
            raise ApplicationError(str(error), type="EndpointRefused", non_retryable=True)
        if error is not None:
            log.info("webhook_attempt_failed", delivery=delivery_id, mrn=row.mrn, error=error)
            raise RuntimeError(f"delivery {delivery_id} failed: {error}")

    @activity.defn(name=GIVE_UP)
    async def give_up(self, delivery_id: str) -> None:
        async with self._db.writer() as session:
            await webhook_store.give_up(session, delivery_id)
