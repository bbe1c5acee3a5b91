"""Webhooks: an agency's endpoint (a real HTTP server on loopback) receives signed clearance events at least once;
a dead endpoint never holds up a clearance, and the delivery log shows what happened."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any

import pytest

from tests.conftest import Stack
from tests.e2e import completed, licence_body, lodge, new_licence_reference, wait_for, with_licence_document
from tests.support import example
from tests.webhook_receiver import Receiver, verify

pytestmark = pytest.mark.e2e
SECRET = "s3cret-shared-with-the-agency"


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/nobody-listens"


async def until(check: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.1)


async def test_agency_endpoint_receives_signed_events_and_a_dead_one_blocks_nothing(
    stack: Stack, receiver: Receiver
) -> None:
    officer = stack.auth("customs_officer")
    live = await stack.http.post("/v1/webhooks", json={"url": receiver.url, "secret": SECRET}, headers=officer)
    assert live.status_code == 201, live.text
    dead = await stack.http.post(
        "/v1/webhooks", json={"url": dead_url(), "secret": SECRET, "events": ["clearance.outcome"]}, headers=officer
    )
    assert dead.status_code == 201
    try:
        started = time.monotonic()
        mrn = (await lodge(stack, example("green-lane")))["mrn"]
        view = await wait_for(stack, mrn, completed)
        assert view["outcome"] == "released" and time.monotonic() - started < 10
        await until(
            lambda: (
                {"clearance.accepted", "clearance.lane_assigned", "clearance.outcome"}
                <= {e["event"] for e in receiver.events(mrn)}
            )
        )
        for headers, body in receiver.requests:
            assert verify(SECRET, headers, body) is None
            assert verify("another-secret-of-16+", headers, body) == "signature mismatch"
            assert verify(SECRET, headers, body + b" ") == "signature mismatch"
            assert verify(SECRET, headers, body, now=time.time() + 301) == "stale timestamp"
            assert headers["x-clearance-delivery"] == json.loads(body)["id"]
            assert headers["host"] == receiver.url.split("/")[2]
        outcome = next(e for e in receiver.events(mrn) if e["event"] == "clearance.outcome")
        assert (outcome["outcome"], outcome["lane"], outcome["status"]) == ("released", "green", "completed")

        async def delivered() -> list[dict[str, Any]]:
            log = (await stack.http.get(f"/v1/webhooks/{live.json()['id']}/deliveries", headers=officer)).json()
            mine = [d for d in log["items"] if d["mrn"] == mrn]
            return mine if mine and all(d["status"] == "delivered" for d in mine) else []

        deadline = time.monotonic() + 20
        while not (log := await delivered()):
            assert time.monotonic() < deadline, "the delivery log never showed the deliveries as delivered"
            await asyncio.sleep(0.2)
        assert all(d["last_status_code"] == 204 and d["attempts"] >= 1 for d in log)

        async def dead_attempted() -> list[dict[str, Any]]:
            items = (await stack.http.get(f"/v1/webhooks/{dead.json()['id']}/deliveries", headers=officer)).json()
            return [d for d in items["items"] if d["mrn"] == mrn and d["attempts"] >= 1]

        deadline = time.monotonic() + 20
        while not (failed := await dead_attempted()):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.2)
        assert failed[0]["status"] == "pending" and "ConnectError" in failed[0]["last_error"]
    finally:
        for subscription in (live, dead):
            await stack.http.delete(f"/v1/webhooks/{subscription.json()['id']}", headers=officer)


async def test_subscriptions_are_validated_and_scoped(stack: Stack) -> None:
    bad = await stack.http.post(
        "/v1/webhooks",
        json={"url": "ftp://x", "secret": "short", "events": ["nope"]},
        headers=stack.auth("customs_officer"),
    )
    assert bad.status_code == 422
    assert {e["loc"][1] for e in bad.json()["errors"]} == {"url", "secret", "events"}
    mine = await stack.http.post(
        "/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "secret": SECRET}, headers=stack.auth("declarant")
    )
    assert mine.status_code == 201 and mine.json()["declarant_eori"] == "DE123456789012345"
    sub_id = mine.json()["id"]
    assert (
        await stack.http.get(f"/v1/webhooks/{sub_id}/deliveries", headers=stack.auth("other_declarant"))
    ).status_code == 404
    assert (
        await stack.http.get(f"/v1/webhooks/{sub_id}/deliveries", headers=stack.auth("foreign_officer"))
    ).status_code == 404
    assert (await stack.http.delete(f"/v1/webhooks/{sub_id}", headers=stack.auth("declarant"))).status_code == 204
    assert (await stack.http.delete(f"/v1/webhooks/{sub_id}", headers=stack.auth("declarant"))).status_code == 404
    assert (
        await stack.http.post(
            "/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "secret": SECRET}, headers=stack.auth("sop_author")
        )
    ).status_code == 403


async def test_inspection_tasks_are_announced_as_task_created(stack: Stack, receiver: Receiver) -> None:
    # The clearance's agency subscribes (webhooks follow the clearance's customs administration); the licence is the
    # export-control authority's to register.
    officer = stack.auth("customs_officer")
    sub = await stack.http.post(
        "/v1/webhooks", json={"url": receiver.url, "secret": SECRET, "events": ["task.created"]}, headers=officer
    )
    try:
        reference = new_licence_reference()
        issuer = stack.auth("export_control_officer")
        assert (await stack.http.post("/v1/licences", json=licence_body(reference), headers=issuer)).status_code == 201
        mrn = (await lodge(stack, with_licence_document(example("dual-use-licensed"), reference)))["mrn"]
        await until(lambda: len(receiver.events(mrn)) >= 2)
        created = receiver.events(mrn)
        assert {e["event"] for e in created} == {"task.created"}
        assert {e["detail"]["role"] for e in created} == {"inspector", "export_control_officer"}
        assert all(e["lane"] == "red" and e["status"] == "awaiting_decision" for e in created)
    finally:
        await stack.http.delete(f"/v1/webhooks/{sub.json()['id']}", headers=officer)


async def test_officers_actions_reach_the_agency(stack: Stack, receiver: Receiver) -> None:
    officer = stack.auth("customs_officer")
    events = ["clearance.lane_assigned", "clearance.hold_placed", "clearance.hold_released", "inspection.scheduled"]
    sub = await stack.http.post(
        "/v1/webhooks", json={"url": receiver.url, "secret": SECRET, "events": events}, headers=officer
    )
    assert sub.status_code == 201, sub.text
    try:
        body = example("green-lane", country_of_destination="CN")
        body["consignee"]["address"]["country"] = "CN"
        mrn = (await lodge(stack, body))["mrn"]
        await wait_for(stack, mrn, lambda v: any(t["kind"] == "approval" for t in v.get("tasks", [])))
        post = stack.http.post
        assert (await post(f"/v1/clearances/{mrn}/hold", json={"reason": "check"}, headers=officer)).status_code == 200
        rerouted = await post(f"/v1/clearances/{mrn}/lane", json={"lane": "red", "reason": "tip"}, headers=officer)
        assert rerouted.status_code == 200
        released = await post(f"/v1/clearances/{mrn}/hold/release", json={"reason": "ok"}, headers=officer)
        assert released.status_code == 200
        await wait_for(stack, mrn, lambda v: any(t["kind"] == "inspection_findings" for t in v.get("tasks", [])))
        at = "2099-06-01T09:30:00+00:00"
        scheduled = await stack.http.put(
            f"/v1/clearances/{mrn}/inspection/schedule", json={"at": at, "place": "Bay 7"}, headers=officer
        )
        assert scheduled.status_code == 200, scheduled.text
        await until(lambda: {*events} <= {e["event"] for e in receiver.events(mrn)})
        got = {e["event"]: e for e in receiver.events(mrn)}
        assert got["inspection.scheduled"]["detail"]["place"] == "Bay 7"
        assert got["inspection.scheduled"]["detail"]["at"] == at
        lanes = [e["detail"]["lane"] for e in receiver.events(mrn) if e["event"] == "clearance.lane_assigned"]
        assert sorted(lanes) == ["red", "yellow"]
        assert got["clearance.hold_placed"]["detail"]["reason"] == "check"
    finally:
        await stack.http.delete(f"/v1/webhooks/{sub.json()['id']}", headers=officer)
