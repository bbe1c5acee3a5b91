"""Webhook activities: planning deliveries from a clearance's new audit events, and delivering one."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

import httpx
import structlog
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from domain.clearance import AuditEvent, ClearanceSubject
from domain.webhooks import FROM_AUDIT, SIGNATURE_HEADER, delivery_id, payload, sign
from store import webhooks as webhook_store
from store.db import Database
from workflows.webhook import DELIVER, GIVE_UP

log = structlog.get_logger("webhooks")


async def plan_and_dispatch(db: Database, subject: ClearanceSubject, audit: list[AuditEvent]) -> list[str]:
    """Plan a delivery per (subscription, new event) and start its delivery workflow. Idempotent: delivery ids
    and workflow ids derive from subscription, MRN and event sequence, so a retried activity plans nothing twice."""
    if not any(e.kind in FROM_AUDIT for e in audit):
        return []
    async with db.writer() as session:
        planned = await plan(session, subject, audit)
        await session.commit()
    return await dispatch(subject, planned)


async def plan(session: AsyncSession, subject: ClearanceSubject, audit: list[AuditEvent]) -> list[str]:
    """Plan the deliveries of `audit`'s new events in the caller's transaction (the caller commits, then passes
    the ids to `dispatch`). Written with the read model in one transaction, it costs no session of its own and a
    projection never commits without the deliveries its events call for."""
    events = [(e, FROM_AUDIT[e.kind]) for e in audit if e.kind in FROM_AUDIT]
    if not events:
        return []
    subscribers = await webhook_store.matching(session, agency=subject.agency, declarant_eori=subject.declarant_eori)
    rows = [
        {
            "id": (did := delivery_id(s.id, subject.mrn, e.seq)),
            "subscription_id": s.id,
            "event": name,
            "mrn": subject.mrn,
            "payload": payload(name, e, subject, did),
        }
        for s in subscribers
        for e, name in events
        if name in s.events
    ]
    await webhook_store.plan(session, rows)
    return [str(row["id"]) for row in rows]


async def dispatch(subject: ClearanceSubject, ids: list[str]) -> list[str]:
    """Start the delivery workflow of each planned delivery (once committed); a repeat starts nothing twice."""
    if not ids:
        return []
    client = activity.client()
    for planned in ids:
        with contextlib.suppress(WorkflowAlreadyStartedError):  # started by an earlier attempt
            await client.start_workflow(
                "WebhookDelivery",
                planned,
                id=f"webhook-{planned}",
                task_queue=activity.info().task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
    log.info("webhooks_planned", mrn=subject.mrn, deliveries=len(ids))
    return ids


class WebhookActivities:
    def __init__(self, *, db: Database, timeout: float) -> None:
        self._db = db
        self._timeout = timeout

    def all(self) -> list[Callable[..., Any]]:
        return [self.deliver, self.give_up]

    @activity.defn(name=DELIVER)
    async def deliver(self, delivery_id: str) -> None:
        """POST the signed event; any answer but 2xx (or no answer) fails the attempt for Temporal to retry."""
        async with self._db.session() as session:
            found = await webhook_store.delivery(session, delivery_id)
        if found is None:
            raise ApplicationError(f"delivery {delivery_id} does not exist", type="NotFound", non_retryable=True)
        row, subscription = found
        if row.status != "pending" or not subscription.active:
            return
        body = json.dumps(row.payload, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(subscription.secret, body),
            "X-Clearance-Event": row.event,
            "X-Clearance-Delivery": row.id,
        }
        status, error = None, None
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(subscription.url, content=body, headers=headers)
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        async with self._db.writer() as session:
            await webhook_store.record_attempt(
                session, delivery_id, status_code=status, error=error, delivered=error is None
            )
        if error is not None:
            log.info("webhook_attempt_failed", delivery=delivery_id, mrn=row.mrn, error=error)
            raise RuntimeError(f"delivery {delivery_id} failed: {error}")

    @activity.defn(name=GIVE_UP)
    async def give_up(self, delivery_id: str) -> None:
        async with self._db.writer() as session:
            await webhook_store.give_up(session, delivery_id)
