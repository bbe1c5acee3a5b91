"""Views by audience: the declarant sees its declaration, status, outcome, documents and what it must do; never the
risk reasons, screening, hold reasons, officers' notes, decisions, who acted or the task list. Officers see it all.
The same holds for webhook deliveries to a declarant's subscription."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import select

from domain.audience import INTERNAL_FIELDS
from store.models import WebhookDelivery
from tests.conftest import Stack
from tests.e2e import (
    awaiting,
    clearance,
    licence_body,
    lodge,
    new_licence_reference,
    wait_for,
    with_licence_document,
)
from tests.support import example

pytestmark = pytest.mark.e2e

HOLD_REASON = "suspected under-invoicing, ask the broker nothing yet"
NOTE = "bring the sniffer dog, exporter flagged by intelligence"


async def _subscribe(stack: Stack, who: str) -> str:
    created = await stack.http.post(
        "/v1/webhooks", json={"url": "http://127.0.0.1:9/", "secret": "s" * 20}, headers=stack.auth(who)
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def _red_clearance_on_hold(stack: Stack) -> str:
    reference = new_licence_reference()
    created = await stack.http.post(
        "/v1/licences", json=licence_body(reference), headers=stack.auth("export_control_officer")
    )
    assert created.status_code == 201, created.text
    mrn = (await lodge(stack, with_licence_document(example("dual-use-licensed"), reference)))["mrn"]
    await wait_for(stack, mrn, awaiting("inspection_findings"))
    scheduled = await stack.http.put(
        f"/v1/clearances/{mrn}/inspection/schedule",
        json={"at": "2099-01-05T09:00:00Z", "place": "Bay 4, Frankfurt airport", "note": NOTE},
        headers=stack.auth("customs_officer"),
    )
    assert scheduled.status_code == 200, scheduled.text
    held = await stack.http.post(
        f"/v1/clearances/{mrn}/hold", json={"reason": HOLD_REASON}, headers=stack.auth("customs_officer")
    )
    assert held.status_code == 200, held.text
    return mrn


async def test_the_declarant_sees_its_clearance_without_internal_fields_and_officers_see_them(stack: Stack) -> None:
    subscriptions = {who: await _subscribe(stack, who) for who in ("declarant", "customs_officer")}
    try:
        mrn = await _red_clearance_on_hold(stack)
        officer = await wait_for(stack, mrn, lambda v: v.get("hold") is not None)
        for field in INTERNAL_FIELDS:
            assert field in officer, field
        assert officer["hold"]["reason"] == HOLD_REASON and officer["tasks"] and officer["decisions"]
        assert officer["lane_reason"] and officer["inspection_schedule"]["note"] == NOTE

        own = await clearance(stack, mrn, "declarant")
        for field in INTERNAL_FIELDS:
            assert field not in own, field
        text = json.dumps(own)
        for secret in (HOLD_REASON, NOTE, officer["lane_reason"], "customs_officer"):
            assert secret not in text, secret
        assert all(set(entry) == {"stage", "started_at", "ended_at"} for entry in own["timeline"])
        assert own["inspection_schedule"] == {
            "at": officer["inspection_schedule"]["at"],
            "place": "Bay 4, Frankfurt airport",
            "agencies": officer["inspection_schedule"]["agencies"],
        }
        assert own["on_hold"] is True and own["lane"] == "red" and own["declaration"]["lrn"]
        assert own["required_actions"][0].startswith("present the goods for inspection at Bay 4")
        assert own["trade"]["representation"] == "direct"
        listed = (await stack.http.get("/v1/clearances", headers=stack.auth("declarant"))).json()["items"]
        [summary] = [s for s in listed if s["mrn"] == mrn]
        assert not set(summary) & set(INTERNAL_FIELDS)

        async with stack.db.session() as session:
            rows = (await session.exec(select(WebhookDelivery).where(WebhookDelivery.mrn == mrn))).all()
        by_subscription: dict[str, list[Any]] = {}
        for row in rows:
            by_subscription.setdefault(row.subscription_id, []).append(row)
        declarants = {r.event: r.payload for r in by_subscription[subscriptions["declarant"]]}
        officers = {r.event: r.payload for r in by_subscription[subscriptions["customs_officer"]]}
        assert "task.created" in officers and "task.created" not in declarants
        assert officers["clearance.hold_placed"]["detail"]["reason"] == HOLD_REASON
        assert declarants["clearance.hold_placed"]["detail"] == {}
        assert declarants["inspection.scheduled"]["detail"]["place"] == "Bay 4, Frankfurt airport"
        assert "reason" not in declarants["clearance.lane_assigned"]["detail"]
        assert "reason" in officers["clearance.lane_assigned"]["detail"]
        assert NOTE not in json.dumps(list(declarants.values()))
    finally:
        for who, subscription in subscriptions.items():
            await stack.http.delete(f"/v1/webhooks/{subscription}", headers=stack.auth(who))


async def test_the_declarant_is_told_what_to_do_when_its_goods_are_not_released(stack: Stack) -> None:
    body = example("dual-use-licensed")  # names a licence nobody registered
    mrn = (await lodge(stack, body))["mrn"]
    await wait_for(stack, mrn, lambda v: v["outcome"] is not None)
    own = await clearance(stack, mrn, "declarant")
    assert own["outcome"] == "not_released" and "outcome_reason" not in own
    assert own["required_actions"] == ["obtain a valid export licence for goods item(s) 1 and lodge a new declaration"]
    assert own["documents"] and own["documents"][0]["kind"] == "not-released-notice"
