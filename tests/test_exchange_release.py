"""The exchange of a release without a workflow per release (`release-exchange`), through the real HTTP app, worker
and dev server: the clearance itself stores and delivers the signed export notification in its last workflow task
and records its exit as awaited; the worker's exit sweeper follows up only exits past their date (not one
confirmed first); a partner out of reach gets the notification from a durable `ExchangeDelivery` once it answers."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from activities.exits import ExitSweeper
from domain.exchange import delivery_workflow_id, exchange_workflow_id, message_id
from store import exchange as exchange_store
from store import sops
from store.models import utcnow
from tests.conftest import Stack, _fresh_db, make_stack
from tests.e2e import clearance, open_tasks
from tests.support import ROOT, served, sop_definition
from tests.test_exchange import eventually, notification_at_partner, released

pytestmark = pytest.mark.e2e

PARTNER = "DEMO-PARTNER-CUSTOMS"


async def _stack(env: WorkflowEnvironment, tmp: Path, **overrides: Any) -> AsyncIterator[Stack]:
    db = await _fresh_db(f"sqlite+aiosqlite:///{tmp / 'clearance.db'}")
    async with db.session() as session:
        await sops.publish(session, sop_definition(1), by="tests")
    async for s in make_stack(env, db, tmp / "data", sop_name="test-clearance", **overrides):
        yield s
    await db.dispose()


@pytest.fixture(scope="module")
async def own_stack(
    temporal_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    """A stack of its own: its sweeps at a date 91 days ahead follow up only this module's clearances."""
    async for s in _stack(temporal_env, tmp_path_factory.mktemp("release-exchange")):
        yield s


async def _not_found(stack: Stack, workflow_id: str) -> bool:
    try:
        await stack.client.get_workflow_handle(workflow_id).describe()
    except RPCError as exc:
        return exc.status == RPCStatusCode.NOT_FOUND
    return False


async def test_a_release_notifies_and_awaits_the_exit_without_another_workflow(own_stack: Stack) -> None:
    stack = own_stack
    mrn = await released(stack)
    await notification_at_partner(stack, mrn)

    async def acknowledged() -> dict[str, Any] | None:
        view = await clearance(stack, mrn)
        sent = [m for m in view["exchange"] if m["kind"] == "export_notification"]
        return view if sent and sent[0]["status"] == "acknowledged" else None

    view = await eventually(acknowledged)
    assert view["exit"]["status"] == "awaiting_exit"
    handle = stack.client.get_workflow_handle(view["workflow_id"])
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    events = [e.event_type async for e in handle.fetch_history_events()]
    assert EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED not in events
    notification = message_id(mrn, "export_notification")
    assert await _not_found(stack, exchange_workflow_id(mrn))
    assert await _not_found(stack, delivery_workflow_id(notification))
    async with stack.db.session() as session:
        row = await exchange_store.get_exit(session, mrn)
    assert row is not None and row.follow_up_at is not None
    accepted = datetime.fromisoformat(view["accepted_at"].replace("Z", "+00:00"))
    follow_up_at = row.follow_up_at if row.follow_up_at.tzinfo else row.follow_up_at.replace(tzinfo=UTC)
    assert timedelta(days=90) <= follow_up_at - accepted <= timedelta(days=90, minutes=5)  # 90 days after release


async def test_the_sweeper_follows_up_only_exits_unconfirmed_past_their_date(own_stack: Stack) -> None:
    stack = own_stack
    confirmed, forgotten = await released(stack), await released(stack)
    path = f"/v1/clearances/{confirmed}/exit"
    done = await stack.http.post(path, json={"office_of_exit": "DE002651"}, headers=stack.auth("customs_officer"))
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "confirmed" and done.json()["office_of_exit"] == "DE002651"
    assert (await stack.http.post(path, json={}, headers=stack.auth("customs_officer"))).status_code == 409
    sweeper = ExitSweeper(
        db=stack.db,
        client=stack.client,
        task_queue=stack.settings.temporal_task_queue,
        follow_up_seconds=stack.settings.exit_follow_up_days * 86400,
        due_seconds=stack.settings.exit_follow_up_due_days * 86400,
    )
    ahead = utcnow() + timedelta(days=91)
    assert await sweeper.sweep(now=ahead) >= 1
    assert await sweeper.sweep(now=ahead) == 0  # started once, however often it sweeps

    [task] = await eventually(lambda: open_tasks(stack, "customs_officer", forgotten, "exit_follow_up"))
    assert task["role"] == "customs_officer"
    view = await clearance(stack, forgotten)
    assert view["exit"]["status"] == "follow_up" and view["exit"]["task_id"] == task["id"]
    assert await _not_found(stack, exchange_workflow_id(confirmed))
    assert (await clearance(stack, confirmed))["exit"]["status"] == "confirmed"

    # the follow-up's workflow takes customs' confirmation now, and calls its task off
    late = await stack.http.post(
        f"/v1/clearances/{forgotten}/exit", json={"note": "seen at the border"}, headers=stack.auth("customs_officer")
    )
    assert late.status_code == 200, late.text
    assert late.json()["status"] == "confirmed"
    handle = stack.client.get_workflow_handle(exchange_workflow_id(forgotten))
    assert (await asyncio.wait_for(handle.result(), timeout=20))["status"] == "confirmed"
    assert not await open_tasks(stack, "customs_officer", forgotten, "exit_follow_up")


class FlakyPartner:
    """Another administration's inbound endpoint that is down for its first `down` requests, then receives
    (without an acknowledgement, as a partner that acknowledges later would)."""

    def __init__(self, down: int) -> None:
        self.down, self.seen = down, 0

    async def inbound(self, request: Request) -> JSONResponse:
        assert request.headers["content-type"] == "application/jose"
        assert (await request.body()).count(b".") == 2  # a compact JWS
        self.seen += 1
        if self.seen <= self.down:
            return JSONResponse({"detail": "maintenance"}, status_code=503)
        return JSONResponse({"status": "received", "acknowledgement": None})


@pytest.fixture(scope="module")
async def flaky(
    temporal_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Stack, FlakyPartner]]:
    partner = FlakyPartner(down=1)
    app = Starlette(routes=[Route("/exchange/inbound", partner.inbound, methods=["POST"])])
    tmp = tmp_path_factory.mktemp("flaky-partner")
    async with served(app) as base:
        reference = tmp / "reference"
        shutil.copytree(ROOT / "reference", reference)
        registry = yaml.safe_load((reference / "agencies.yaml").read_text())
        for agency in registry["agencies"]:
            if agency["id"] == PARTNER:
                agency["endpoint"] = base
        (reference / "agencies.yaml").write_text(yaml.safe_dump(registry))
        async for s in _stack(temporal_env, tmp, reference_dir=reference):
            yield s, partner


async def test_a_partner_out_of_reach_gets_the_notification_by_durable_redelivery(
    flaky: tuple[Stack, FlakyPartner],
) -> None:
    stack, partner = flaky
    mrn = await released(stack)
    notification = message_id(mrn, "export_notification")
    handle = stack.client.get_workflow_handle(delivery_workflow_id(notification))

    async def redelivered() -> Any:
        try:
            return await handle.describe()
        except RPCError:
            return None

    await eventually(redelivered)
    assert await asyncio.wait_for(handle.result(), timeout=30) == "delivered"
    assert partner.seen == 2
    async with stack.db.session() as session:
        row = await exchange_store.get(session, notification, "out")
    assert row is not None and row.status == "delivered" and row.attempts >= 1
    view = await clearance(stack, mrn)
    assert view["status"] == "completed" and view["exit"]["status"] == "awaiting_exit"


def test_a_message_row_built_in_memory_has_the_columns_of_a_stored_message() -> None:
    """`MessageRow` (a release to an embedded partner, inserted through Core) mirrors `ExchangeMessage`: the same
    columns, the same defaults, so `insert_prepared` writes every column either way."""
    from dataclasses import MISSING, fields

    from store.models import ExchangeMessage, MessageRow

    columns = {c.name: c for c in ExchangeMessage.__table__.columns}  # type: ignore[attr-defined]
    built = {f.name: f for f in fields(MessageRow)}
    assert built.keys() == columns.keys()
    for name, spec in ExchangeMessage.model_fields.items():
        default = built[name].default
        assert (default is MISSING) == spec.is_required(), name
        if not spec.is_required():
            assert default == spec.default, name
