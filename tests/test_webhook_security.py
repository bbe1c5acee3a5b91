"""Webhooks hardened: internal addresses refused at subscription and again at delivery after DNS, the vetted address
pinned for the request (Host header of the name), no redirect followed, secrets sealed in the database, a cap per
agency, and deliveries started off the clearance's path (a lost start is picked up by the sweep).

Only loopback is ever contacted: the refusal paths send nothing, and the one public address below is only vetted."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from temporalio.client import Client

from activities.webhooks import dispatch, plan, sweep
from adapters.webhook_endpoints import EndpointPolicy, EndpointRefused, vet
from api.main import create_app
from domain.clearance import AuditEvent, ClearanceSubject
from domain.webhooks import sign
from settings import ROOT, Settings
from store import webhooks as webhook_store
from store.models import WebhookDelivery, WebhookSubscription, utcnow
from store.secrets import secret_box
from tests.conftest import Stack
from tests.support import free_port
from tests.webhook_receiver import Receiver, verify
from worker import build_worker

pytestmark = pytest.mark.e2e
SECRET = "s3cret-shared-with-the-agency"
INTERNAL = [
    "http://127.0.0.1:5432/",
    "http://10.0.0.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://localhost:8080/hook",  # a name resolving to 127.0.0.1
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0:8000/",
    "http://224.0.0.1/",
]


@asynccontextmanager
async def app_with(stack: Stack, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(stack.settings.model_copy(update=changes), temporal=stack.client, db=stack.db)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        yield http


async def subscriptions(stack: Stack, who: str) -> list[dict[str, Any]]:
    listed = await stack.http.get("/v1/webhooks", headers=stack.auth(who))
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


async def test_internal_addresses_are_refused_at_subscription(stack: Stack) -> None:
    officer = stack.auth("customs_officer")
    before = await subscriptions(stack, "customs_officer")
    async with app_with(stack, webhook_allow_private=False) as http:
        for url in INTERNAL:
            refused = await http.post("/v1/webhooks", json={"url": url, "secret": SECRET}, headers=officer)
            assert refused.status_code == 422, (url, refused.text)
            [error] = refused.json()["errors"]
            assert error["loc"] == ["body", "url"], url
            assert "address" in error["msg"], error
        localhost = await http.post(
            "/v1/webhooks", json={"url": "http://localhost:8080/hook", "secret": SECRET}, headers=officer
        )
        message = localhost.json()["errors"][0]["msg"]
        assert message.startswith("localhost resolves to ") and ", a loopback address" in message
    async with app_with(stack, environment="production") as http:  # https only, whatever the address
        plain = await http.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "secret": SECRET}, headers=officer)
        assert plain.status_code == 422 and "must be https" in plain.json()["errors"][0]["msg"]
    assert await subscriptions(stack, "customs_officer") == before  # nothing was created
    # The same checks, without a request: a public address passes (it is only vetted, never contacted).
    public = await vet("https://93.184.216.34/hooks", EndpointPolicy())
    assert str(public.address) == "93.184.216.34"
    with pytest.raises(EndpointRefused, match="private"):
        await vet("https://10.1.2.3/", EndpointPolicy())
    with pytest.raises(EndpointRefused, match="metadata"):  # even with loopback and private networks allowed
        await vet("http://169.254.169.254/", EndpointPolicy(allow_http=True, allow_private=True))
    with pytest.raises(ValidationError, match="WEBHOOK_ALLOW_PRIVATE"):
        Settings(environment="production", database_url="postgresql://db/x", webhook_allow_private=True)


async def test_secrets_are_sealed_and_never_returned(stack: Stack, receiver: Receiver) -> None:
    officer = stack.auth("customs_officer")
    created = await stack.http.post("/v1/webhooks", json={"url": receiver.url, "secret": SECRET}, headers=officer)
    assert created.status_code == 201 and SECRET not in created.text
    sub_id = created.json()["id"]
    try:
        assert SECRET not in (await stack.http.get("/v1/webhooks", headers=officer)).text
        async with stack.db.session() as session:
            row = await session.get(WebhookSubscription, sub_id)
        assert row is not None and row.secret is None and row.secret_sealed is not None
        assert row.secret_sealed.startswith("v1:") and SECRET not in row.secret_sealed
        box = secret_box(stack.settings.secrets_key, stack.settings.secrets_key_file)
        assert webhook_store.secret_of(box, row) == SECRET
        # Sealed for its own row: the same ciphertext on another row does not open.
        moved = row.model_copy(update={"id": str(uuid.uuid4())})
        with pytest.raises(Exception, match="does not open"):
            webhook_store.secret_of(box, moved)
    finally:
        await stack.http.delete(f"/v1/webhooks/{sub_id}", headers=officer)
    # A subscription stored in plain text by an older release is sealed when the API starts.
    legacy = WebhookSubscription(
        id=str(uuid.uuid4()), agency="LEGACY", url=receiver.url, secret="plain-legacy-secret", events=[], created_by="x"
    )
    async with stack.db.writer() as session:
        session.add(legacy)
        await session.commit()
    async with app_with(stack):
        pass
    async with stack.db.session() as session:
        sealed = await session.get(WebhookSubscription, legacy.id)
    assert sealed is not None and sealed.secret is None
    assert webhook_store.secret_of(box, sealed) == "plain-legacy-secret"


async def test_subscriptions_are_capped_per_agency(stack: Stack) -> None:
    officer = stack.auth("foreign_officer")  # OTHER-CUSTOMS: no other test subscribes for it
    body = {"url": f"http://127.0.0.1:{free_port()}/x", "secret": SECRET}
    made: list[str] = []
    async with app_with(stack, webhook_max_subscriptions_per_agency=2) as http:
        try:
            for _ in range(2):
                created = await http.post("/v1/webhooks", json=body, headers=officer)
                assert created.status_code == 201, created.text
                made.append(created.json()["id"])
            third = await http.post("/v1/webhooks", json=body, headers=officer)
            assert third.status_code == 409 and "holds 2 subscriptions" in third.json()["detail"]
            assert len(await subscriptions(stack, "foreign_officer")) == 2
            assert (await http.delete(f"/v1/webhooks/{made.pop()}", headers=officer)).status_code == 204
            again = await http.post("/v1/webhooks", json=body, headers=officer)
            assert again.status_code == 201
            made.append(again.json()["id"])
        finally:
            for sub_id in made:
                await http.delete(f"/v1/webhooks/{sub_id}", headers=officer)


async def planned_delivery(stack: Stack, url: str, event_seq: int | None = None) -> tuple[str, str]:
    """A subscription of a fresh agency to `url` and one planned delivery for it (its workflow not started)."""
    agency = f"HOOK-{uuid.uuid4().hex[:6]}"
    async with stack.db.writer() as session:
        sub = await webhook_store.subscribe(
            session,
            webhook_store.WebhookCreate(url=url, secret=SECRET, events=["clearance.outcome"]),
            agency=agency,
            declarant_eori=None,
            by="tests",
            box=secret_box(stack.settings.secrets_key, stack.settings.secrets_key_file),
            cap=5,
        )
    mrn = f"26DE{uuid.uuid4().hex[:13].upper()}0"[:18]
    subject = ClearanceSubject(
        mrn=mrn, lrn="L1", agency=agency, declarant_eori="DE123456789012345", status="completed", outcome="released"
    )
    event = AuditEvent(seq=event_seq or 7, kind="outcome", actor="system", at=utcnow(), detail={})
    [delivery] = await plan(stack.db, subject, [event])
    return sub.id, delivery


async def delivery_row(stack: Stack, delivery: str) -> WebhookDelivery:
    async with stack.db.session() as session:
        row = await session.get(WebhookDelivery, delivery)
    assert row is not None
    return row


async def test_delivery_resolves_refuses_and_pins(stack: Stack, receiver: Receiver) -> None:
    """A subscription made while loopback was allowed, to a name: a worker that does not allow it refuses the
    delivery after resolving the name (once, no retries); one that does connects to the vetted 127.0.0.1 with the
    name as Host. A redirect is not followed."""
    port = receiver.url.split(":")[2].split("/")[0]
    by_name = f"http://localhost:{port}/agency/clearance-events"
    _, refused = await planned_delivery(stack, by_name)
    strict = stack.settings.model_copy(update={"webhook_allow_private": False})
    queue = f"strict-{uuid.uuid4().hex[:6]}"
    async with build_worker(stack.client, strict, stack.db, task_queue=queue):
        result = await stack.client.execute_workflow(
            "WebhookDelivery", refused, id=f"webhook-{refused}", task_queue=queue
        )
    assert result == "failed"
    row = await delivery_row(stack, refused)
    assert row.status == "failed" and row.attempts == 1 and row.last_status_code is None
    assert row.last_error is not None and row.last_error.startswith("refused: localhost resolves to ")
    assert "a loopback address" in row.last_error
    assert receiver.requests == []  # nothing was sent

    _, allowed = await planned_delivery(stack, by_name)
    result = await stack.client.execute_workflow(
        "WebhookDelivery", allowed, id=f"webhook-{allowed}", task_queue=stack.settings.temporal_task_queue
    )
    assert result == "delivered"
    [(headers, body)] = receiver.requests
    assert headers["host"] == f"localhost:{port}" and headers["x-clearance-delivery"] == allowed
    assert verify(SECRET, headers, body) is None

    elsewhere = Receiver()
    redirecting = Receiver(answer=307, location=elsewhere.url)
    try:
        _, bounced = await planned_delivery(stack, redirecting.url)
        await stack.client.start_workflow(
            "WebhookDelivery", bounced, id=f"webhook-{bounced}", task_queue=stack.settings.temporal_task_queue
        )
        deadline = time.monotonic() + 20
        while (row := await delivery_row(stack, bounced)).attempts < 1:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
        assert row.status == "pending" and row.last_status_code == 307
        assert row.last_error == "HTTP 307 (redirects are not followed)"
        assert len(redirecting.requests) == 1 and elsewhere.requests == []
        await stack.client.get_workflow_handle(f"webhook-{bounced}").terminate("test over")
    finally:
        redirecting.server.shutdown()
        elsewhere.server.shutdown()


async def test_a_lost_start_never_holds_the_caller_and_the_sweep_delivers(stack: Stack, receiver: Receiver) -> None:
    """Temporal unreachable when a delivery is planned: dispatching returns at once, and the sweep (run by every
    worker every 30 s) starts the delivery once Temporal answers."""
    _, delivery = await planned_delivery(stack, receiver.url)
    unreachable = await Client.connect(f"127.0.0.1:{free_port()}", lazy=True)
    started = time.perf_counter()
    dispatch(unreachable, stack.settings.temporal_task_queue, [delivery])
    assert time.perf_counter() - started < 0.05
    await asyncio.sleep(1)
    assert (await delivery_row(stack, delivery)).attempts == 0 and receiver.requests == []
    assert await sweep(stack.db, stack.client, stack.settings.temporal_task_queue, older_than_seconds=0) >= 1
    deadline = time.monotonic() + 20
    while (await delivery_row(stack, delivery)).status != "delivered":
        assert time.monotonic() < deadline, "the sweep never delivered"
        await asyncio.sleep(0.1)
    assert [h["x-clearance-delivery"] for h, _ in receiver.requests] == [delivery]


def test_the_readme_verification_example_prints_what_it_shows() -> None:
    """The worked example verifies a signature the sender's own code makes, and prints the README's output."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Verifying a delivery") :]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    shown = section.split("```text\n", 1)[1].split("```", 1)[0]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    assert printed.getvalue() == shown
    body = b'{"id":"6f1c2d3e-0000-4000-8000-000000000001:26DE000000000000A1:4","event":"clearance.outcome"}'
    signature = sign(SECRET, 1767225600, "6f1c2d3e-0000-4000-8000-000000000001:26DE000000000000A1:4", body)
    assert signature in code
