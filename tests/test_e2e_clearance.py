"""The clearance end to end: HTTP API → Temporal dev server → worker → database, for each route through the SOP."""

from __future__ import annotations

import pytest

from store import fastsql
from tests.conftest import Stack
from tests.e2e import (
    CHECKED,
    awaiting,
    clearance,
    completed,
    finish_task,
    licence_body,
    lodge,
    new_licence_reference,
    open_tasks,
    wait_for,
    with_licence_document,
)
from tests.support import example

pytestmark = pytest.mark.e2e


async def test_green_lane_is_released_with_a_release_notice(stack: Stack) -> None:
    fallbacks, fast_statements = fastsql.fallbacks, fastsql.fast_statements
    accepted = await lodge(stack, example("green-lane"))
    assert accepted["status"] == "accepted"
    assert accepted["sop"] == {"name": "test-clearance", "version": 1}
    mrn = accepted["mrn"]
    assert accepted["links"]["self"] == f"/v1/clearances/{mrn}"

    view = await wait_for(stack, mrn, completed)
    assert (view["status"], view["outcome"], view["lane"]) == ("completed", "released", "green")
    if stack.db.dialect == "sqlite":  # every statement of lodging, outcome and reads ran on the fast path
        assert fastsql.fallbacks == fallbacks and fastsql.fast_statements > fast_statements
    assert [p["status"] for p in view["screening"]["parties"]] == ["clear"] * 3
    assert view["licences"]["items"][0]["status"] == "not_controlled"
    assert [t["stage"] for t in view["timeline"]] == ["intake", "screening", "licence_check", "risk", "outcome"]
    assert all(t["ended_at"] for t in view["timeline"])
    for earlier, later in zip(view["timeline"], view["timeline"][1:], strict=False):
        assert earlier["started_at"] <= earlier["ended_at"] <= later["started_at"] <= later["ended_at"]
    assert {"kind": "release-notice", "href": f"/v1/clearances/{mrn}/documents/release-notice"} in view["documents"]

    notice = await stack.http.get(f"/v1/clearances/{mrn}/documents/release-notice", headers=stack.auth("declarant"))
    assert notice.status_code == 200 and "text/html" in notice.headers["content-type"]
    assert mrn in notice.text and "82054000" in notice.text
    missing = await stack.http.get(f"/v1/clearances/{mrn}/documents/referral-notice", headers=stack.auth("declarant"))
    assert missing.status_code == 404


async def test_dual_use_with_licence_goes_through_joint_inspection_and_approval(stack: Stack) -> None:
    reference = new_licence_reference()
    created = await stack.http.post(
        "/v1/licences", json=licence_body(reference), headers=stack.auth("export_control_officer")
    )
    assert created.status_code == 201, created.text
    mrn = (await lodge(stack, with_licence_document(example("dual-use-licensed"), reference)))["mrn"]

    view = await wait_for(stack, mrn, awaiting("inspection_findings"))
    assert view["lane"] == "red" and view["status"] == "awaiting_decision"
    assert view["licences"]["items"][0]["licence_reference"] == reference
    licence = (await stack.http.get(f"/v1/licences/{reference}", headers=stack.auth("customs_officer"))).json()
    assert licence["items"][0]["remaining"]["quantity"]["value"] == "60.000"

    [customs] = await open_tasks(stack, "inspector", mrn, "inspection_findings")
    [export_control] = await open_tasks(stack, "export_control_officer", mrn, "inspection_findings")
    await finish_task(
        stack,
        "inspector",
        customs["id"],
        "compliant",
        "seals intact, 40 pcs counted",
        {"seals_checked": True, "counts": [{"item_sequence": 1, "counted": 40}], "evidence": ["photo-118"]},
    )
    await finish_task(stack, "export_control_officer", export_control["id"], "compliant", "matches licence", CHECKED)

    view = await wait_for(stack, mrn, awaiting("approval"))
    assert view["inspection"]["outcome"] == "compliant"
    [approval] = await open_tasks(stack, "supervisor", mrn, "approval")
    await finish_task(stack, "supervisor", approval["id"], "approve", "inspection compliant, licence depleted")

    view = await wait_for(stack, mrn, completed)
    assert view["outcome"] == "released"
    stages = [t["stage"] for t in view["timeline"]]
    assert stages == ["intake", "screening", "licence_check", "risk", "joint_inspection", "approval", "outcome"]
    assert next(t for t in view["timeline"] if t["stage"] == "approval")["actor"] == "supervisor"
    kinds = [(d["kind"], d["outcome"], d["actor"]) for d in view["decisions"]]
    assert ("approval", "approve", "supervisor") in kinds and ("inspection_findings", "compliant", "inspector") in kinds

    licence = (await stack.http.get(f"/v1/licences/{reference}", headers=stack.auth("exporter_holder"))).json()
    assert licence["items"][0]["remaining"]["quantity"]["value"] == "60.000"
    assert licence["items"][0]["remaining"]["value"]["amount"] == "404000.00"
    assert [(d["mrn"], d["quantity"]) for d in licence["depletions"]] == [(mrn, "40.000")]


async def test_controlled_goods_without_licence_are_not_released(stack: Stack) -> None:
    body = example("dual-use-licensed")
    body["goods_items"][0]["documents"] = []
    body["exporter"]["eori"] = "DE000000000000404"  # holds no licence
    mrn = (await lodge(stack, body))["mrn"]
    view = await wait_for(stack, mrn, completed)
    assert view["outcome"] == "not_released" and view["lane"] is None
    assert view["licences"]["items"][0]["status"] == "no_licence"
    assert "no valid licence" in view["decisions"][-1]["reason"]
    notice = await stack.http.get(
        f"/v1/clearances/{mrn}/documents/not-released-notice", headers=stack.auth("declarant")
    )
    assert notice.status_code == 200


async def test_control_code_from_the_commodity_table_needs_a_licence_too(stack: Stack) -> None:
    body = example("green-lane")
    body["goods_items"][0]["commodity_code"] = "85176200"  # network equipment: 5A002 by the control list
    view = await wait_for(stack, (await lodge(stack, body))["mrn"], completed)
    item = view["licences"]["items"][0]
    assert (item["control_code"], item["control_source"], view["outcome"]) == (
        "5A002",
        "commodity_table",
        "not_released",
    )


async def test_embargoed_destination_is_not_released(stack: Stack) -> None:
    body = example("green-lane", country_of_destination="KP")
    body["consignee"]["address"]["country"] = "KP"
    view = await wait_for(stack, (await lodge(stack, body))["mrn"], completed)
    assert view["outcome"] == "not_released" and view["licences"]["embargoed"] is True


async def test_possible_match_is_reviewed_and_a_confirmed_match_referred(stack: Stack) -> None:
    body = example("green-lane")
    body["consignee"] = {"name": "Volkov Dinamika OOO", "address": {"city": "Moscow", "country": "RU"}}
    body["country_of_destination"] = "RU"
    mrn = (await lodge(stack, body))["mrn"]
    view = await wait_for(stack, mrn, awaiting("screening_review"))
    assert view["status"] == "awaiting_decision" and view["stage"] == "screening"
    consignee = next(p for p in view["screening"]["parties"] if p["role"] == "consignee")
    assert consignee["status"] == "possible_match" and consignee["matches"][0]["entry_id"] == "demo-0001"

    [review] = await open_tasks(stack, "export_control_officer", mrn, "screening_review")
    assert review["due_at"] > review["created_at"]
    await finish_task(stack, "export_control_officer", review["id"], "confirmed_match", "same entity, same address")
    view = await wait_for(stack, mrn, completed)
    assert view["outcome"] == "referred"
    assert next(p for p in view["screening"]["parties"] if p["role"] == "consignee")["status"] == "confirmed_match"
    notice = await stack.http.get(f"/v1/clearances/{mrn}/documents/referral-notice", headers=stack.auth("auditor"))
    assert notice.status_code == 200 and "demo-0001" in notice.text


async def test_false_positive_lets_the_clearance_continue(stack: Stack) -> None:
    body = example("green-lane")
    body["consignee"] = {"name": "Golden Crescent Trading", "address": {"city": "Dubai", "country": "AE"}}
    body["country_of_destination"] = "AE"
    mrn = (await lodge(stack, body))["mrn"]
    await wait_for(stack, mrn, awaiting("screening_review"))
    [review] = await open_tasks(stack, "export_control_officer", mrn, "screening_review")
    await finish_task(stack, "export_control_officer", review["id"], "false_positive", "different trade licence no.")
    view = await wait_for(stack, mrn, completed)
    assert view["outcome"] == "released"
    assert next(t for t in view["timeline"] if t["stage"] == "screening")["actor"] == "export_control_officer"


async def test_yellow_lane_needs_only_supervisor_approval_and_reject_means_not_released(stack: Stack) -> None:
    body = example("green-lane", country_of_destination="CN")
    body["consignee"]["address"]["country"] = "CN"
    mrn = (await lodge(stack, body))["mrn"]
    view = await wait_for(stack, mrn, awaiting("approval"))
    assert view["lane"] == "yellow" and view["inspection"] is None
    [approval] = await open_tasks(stack, "supervisor", mrn, "approval")
    await finish_task(stack, "supervisor", approval["id"], "reject", "end use not plausible")
    view = await wait_for(stack, mrn, completed)
    assert view["outcome"] == "not_released"


async def test_duplicate_lodgement_returns_the_same_mrn_and_a_changed_body_conflicts(stack: Stack) -> None:
    body = example("green-lane")
    first = await lodge(stack, body)
    again = await lodge(stack, body, expect=200)
    assert again["mrn"] == first["mrn"]
    changed = {**body, "transport": {"mode": "road", "identity": "B-XY 123"}}
    conflict = await stack.http.post("/v1/declarations", json=changed, headers=stack.auth("declarant"))
    assert conflict.status_code == 409 and first["mrn"] in conflict.json()["detail"]


async def test_invalidation_before_outcome_cancels_tasks_and_after_outcome_conflicts(stack: Stack) -> None:
    body = example("green-lane", country_of_destination="CN")
    body["consignee"]["address"]["country"] = "CN"
    mrn = (await lodge(stack, body))["mrn"]
    await wait_for(stack, mrn, awaiting("approval"))
    officer = await stack.http.post(
        f"/v1/clearances/{mrn}/invalidation", json={"reason": "x"}, headers=stack.auth("customs_officer")
    )
    assert officer.status_code == 403
    response = await stack.http.post(
        f"/v1/clearances/{mrn}/invalidation", json={"reason": "order cancelled"}, headers=stack.auth("declarant")
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "invalidated"
    view = await wait_for(stack, mrn, completed)
    assert view["outcome"] == "invalidated"
    assert all(t["state"] == "cancelled" for t in view["tasks"])
    assert await open_tasks(stack, "supervisor", mrn) == []
    cancelled = view["tasks"][0]["id"]
    late_task = await stack.http.post(
        f"/v1/tasks/{cancelled}/complete", json={"outcome": "approve", "reason": "x"}, headers=stack.auth("supervisor")
    )
    assert late_task.status_code == 409
    audit = (await stack.http.get(f"/v1/clearances/{mrn}/audit", headers=stack.auth("auditor"))).json()["events"]
    kinds = [e["kind"] for e in audit]
    assert kinds[0] == "accepted" and "task_created" in kinds and kinds[-1] == "invalidated"
    assert [e["seq"] for e in audit] == sorted(e["seq"] for e in audit)
    assert next(e for e in audit if e["kind"] == "invalidated")["actor"] == "declarant"
    assert (await stack.http.get(f"/v1/clearances/{mrn}/audit", headers=stack.auth("declarant"))).status_code == 403
    again = await stack.http.post(
        f"/v1/clearances/{mrn}/invalidation", json={"reason": "again"}, headers=stack.auth("declarant")
    )
    assert again.status_code == 409

    released = (await lodge(stack, example("green-lane")))["mrn"]
    await wait_for(stack, released, completed)
    late = await stack.http.post(
        f"/v1/clearances/{released}/invalidation", json={"reason": "too late"}, headers=stack.auth("declarant")
    )
    assert late.status_code == 409


async def test_clearance_reads_are_scoped_to_owner_and_agency(stack: Stack) -> None:
    mrn = (await lodge(stack, example("green-lane")))["mrn"]
    await wait_for(stack, mrn, completed)
    assert (await clearance(stack, mrn, "declarant"))["mrn"] == mrn
    assert (await clearance(stack, mrn, "auditor"))["outcome"] == "released"
    for who in ("other_declarant", "foreign_officer", "sop_author"):
        response = await stack.http.get(f"/v1/clearances/{mrn}", headers=stack.auth(who))
        assert response.status_code == 403, who
    assert (await stack.http.get(f"/v1/clearances/{mrn}")).status_code == 401
    bad_token = await stack.http.get(f"/v1/clearances/{mrn}", headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401
    unknown = "26DE" + "0" * 13
    from domain.mrn import check_character

    unknown += check_character(unknown)
    assert (await stack.http.get(f"/v1/clearances/{unknown}", headers=stack.auth("auditor"))).status_code == 404
    assert (await stack.http.get("/v1/clearances/NOT-AN-MRN", headers=stack.auth("auditor"))).status_code == 422


async def test_listing_filters_and_paginates_with_a_cursor(stack: Stack) -> None:
    mrns = [(await lodge(stack, example("green-lane")))["mrn"] for _ in range(3)]
    for mrn in mrns:
        await wait_for(stack, mrn, completed)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"status": "completed", "lane": "green", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await stack.http.get("/v1/clearances", params=params, headers=stack.auth("declarant"))).json()
        assert len(page["items"]) <= 2
        assert all(i["status"] == "completed" and i["lane"] == "green" for i in page["items"])
        seen += [i["mrn"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert set(mrns) <= set(seen) and len(seen) == len(set(seen))
    assert (await stack.http.get("/v1/clearances", params={"limit": 2}, headers=stack.auth("other_declarant"))).json()[
        "items"
    ] == []
    bad = await stack.http.get("/v1/clearances", params={"lane": "purple"}, headers=stack.auth("auditor"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["query", "lane"]
    bad_cursor = await stack.http.get("/v1/clearances", params={"cursor": "zzz"}, headers=stack.auth("auditor"))
    assert bad_cursor.status_code == 422
