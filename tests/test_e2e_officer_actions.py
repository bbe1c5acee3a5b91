"""Officers' actions on a clearance: re-route the lane before the outcome, hold and release, schedule the joint
inspection. Each is an Update whose validator refuses bad actions before anything is recorded; each accepted
action is a decision in the view and an event in the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import Stack
from tests.e2e import awaiting, clearance, completed, finish_task, lodge, open_tasks, wait_for
from tests.support import example

pytestmark = pytest.mark.e2e


async def yellow_awaiting_approval(stack: Stack) -> str:
    body = example("green-lane", country_of_destination="CN")
    body["consignee"]["address"]["country"] = "CN"
    mrn = (await lodge(stack, body))["mrn"]
    await wait_for(stack, mrn, awaiting("approval"))
    return mrn


async def audit_kinds(stack: Stack, mrn: str) -> list[dict[str, Any]]:
    response = await stack.http.get(f"/v1/clearances/{mrn}/audit", headers=stack.auth("auditor"))
    assert response.status_code == 200
    return response.json()["events"]


async def test_reroute_yellow_to_red_runs_the_joint_inspection_then_approval(stack: Stack) -> None:
    mrn = await yellow_awaiting_approval(stack)
    [approval] = await open_tasks(stack, "supervisor", mrn, "approval")
    lane = f"/v1/clearances/{mrn}/lane"

    refusals = [
        ("inspector", {"lane": "red", "reason": "x"}, 403, None),  # role may not re-route
        ("declarant", {"lane": "red", "reason": "x"}, 403, None),
        ("customs_officer", {"lane": "yellow", "reason": "x"}, 409, None),  # already yellow
        ("customs_officer", {"lane": "green", "reason": "x"}, 403, None),  # lowering needs a supervisor
        ("customs_officer", {"lane": "red", "reason": "   "}, 422, ["body", "reason"]),
        ("customs_officer", {"lane": "purple", "reason": "x"}, 422, ["body", "lane"]),
        ("customs_officer", {"lane": "red"}, 422, ["body", "reason"]),
    ]
    for who, body, status, loc in refusals:
        response = await stack.http.post(lane, json=body, headers=stack.auth(who))
        assert response.status_code == status, (who, body, response.text)
        if loc is not None:
            assert response.json()["errors"][0]["loc"] == loc

    moved = await stack.http.post(
        lane, json={"lane": "red", "reason": "intelligence: mis-declared goods"}, headers=stack.auth("customs_officer")
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["lane"] == "red" and moved.json()["lane_reason"] == "intelligence: mis-declared goods"

    view = await wait_for(stack, mrn, awaiting("inspection_findings"))
    tasks = {t["id"]: t for t in view["tasks"]}
    assert tasks[approval["id"]]["state"] == "cancelled"
    # Candidates are scoped by agency and role: the customs inspector never sees the export-control task.
    [customs_task] = await open_tasks(stack, "inspector", mrn)
    [export_task] = await open_tasks(stack, "export_control_officer", mrn)
    assert (customs_task["role"], export_task["role"]) == ("inspector", "export_control_officer")
    get = stack.http.get
    assert (await get(f"/v1/tasks/{export_task['id']}", headers=stack.auth("inspector"))).status_code == 404
    assert (
        await get(f"/v1/tasks/{customs_task['id']}", headers=stack.auth("export_control_officer"))
    ).status_code == 404
    assert (await get(f"/v1/tasks/{export_task['id']}", headers=stack.auth("foreign_officer"))).status_code == 404
    assert (await get(f"/v1/tasks/{export_task['id']}", headers=stack.auth("supervisor"))).status_code == 404
    assert (
        await get(f"/v1/tasks/{export_task['id']}", headers=stack.auth("export_control_supervisor"))
    ).status_code == 200
    assert (
        await get(f"/v1/tasks/{export_task['id']}", headers=stack.auth("export_control_officer"))
    ).status_code == 200
    claim = await stack.http.post(f"/v1/tasks/{export_task['id']}/claim", headers=stack.auth("inspector"))
    assert claim.status_code == 404  # another agency's task
    reroute = [d for d in view["decisions"] if d["kind"] == "lane" and d["actor"] == "customs_officer"]
    assert reroute and reroute[0]["outcome"] == "red" and "re-routed from yellow" in reroute[0]["reason"]

    # The joint inspection is scheduled while it is in progress: time, place and the SOP's agencies.
    schedule = f"/v1/clearances/{mrn}/inspection/schedule"
    soon = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    for body, status, loc in [
        ({"at": "2020-01-01T09:00:00Z", "place": "Bay 4"}, 422, ["body", "at"]),
        ({"at": "2030-01-01T09:00:00", "place": "Bay 4"}, 422, ["body", "at"]),  # no offset
        ({"at": soon, "place": "Bay 4", "agencies": ["customs", "police"]}, 422, ["body", "agencies", 1]),
        ({"at": soon, "place": ""}, 422, ["body", "place"]),
    ]:
        response = await stack.http.put(schedule, json=body, headers=stack.auth("inspector"))
        assert response.status_code == status, (body, response.text)
        assert response.json()["errors"][0]["loc"] == loc
    assert (
        await stack.http.put(schedule, json={"at": soon, "place": "Bay 4"}, headers=stack.auth("declarant"))
    ).status_code == 403
    booked = await stack.http.put(
        schedule, json={"at": soon, "place": "Examination bay 4, Hamburg-Waltershof"}, headers=stack.auth("inspector")
    )
    assert booked.status_code == 200, booked.text
    planned = booked.json()["inspection_schedule"]
    assert planned["place"] == "Examination bay 4, Hamburg-Waltershof"
    assert planned["agencies"] == ["customs", "export_control"] and planned["scheduled_by"] == "inspector"

    for who in ("inspector", "export_control_officer"):
        [task] = await open_tasks(stack, who, mrn, "inspection_findings")
        await finish_task(stack, who, task["id"], "compliant", "seals intact, counts match", {"seals_checked": True})
    await wait_for(stack, mrn, awaiting("approval"))
    [second] = await open_tasks(stack, "supervisor", mrn, "approval")
    assert second["id"] != approval["id"]
    await finish_task(stack, "supervisor", second["id"], "approve", "inspection compliant")
    view = await wait_for(stack, mrn, completed)
    assert view["outcome"] == "released" and view["lane"] == "red"

    late = await stack.http.post(lane, json={"lane": "yellow", "reason": "x"}, headers=stack.auth("supervisor"))
    assert late.status_code == 409
    events = await audit_kinds(stack, mrn)
    lanes = [e for e in events if e["kind"] == "lane_assigned"]
    assert [e["detail"]["lane"] for e in lanes] == ["yellow", "red"]  # refusals recorded nothing
    assert lanes[1]["actor"] == "customs_officer" and lanes[1]["detail"]["rerouted"] is True
    assert [e["actor"] for e in events if e["kind"] == "inspection_appointment"] == ["inspector"]
    assert any(e["kind"] == "task_cancelled" and e["detail"]["task_id"] == approval["id"] for e in events)


async def test_supervisor_reroutes_red_to_green_and_the_inspection_is_called_off(stack: Stack) -> None:
    mrn = await yellow_awaiting_approval(stack)
    post = stack.http.post
    up = await post(
        f"/v1/clearances/{mrn}/lane", json={"lane": "red", "reason": "tip-off"}, headers=stack.auth("supervisor")
    )
    assert up.status_code == 200
    view = await wait_for(stack, mrn, awaiting("inspection_findings"))
    inspection_tasks = [t["id"] for t in view["tasks"] if t["kind"] == "inspection_findings"]
    down = await post(
        f"/v1/clearances/{mrn}/lane",
        json={"lane": "green", "reason": "tip-off withdrawn by the informant"},
        headers=stack.auth("supervisor"),
    )
    assert down.status_code == 200, down.text
    view = await wait_for(stack, mrn, completed)
    assert view["outcome"] == "released" and view["lane"] == "green"
    assert view["inspection"] is None and view["inspection_schedule"] is None
    states = {t["id"]: t["state"] for t in view["tasks"]}
    assert all(states[t] == "cancelled" for t in inspection_tasks)


async def test_hold_stops_the_release_until_released(stack: Stack) -> None:
    mrn = await yellow_awaiting_approval(stack)
    hold = f"/v1/clearances/{mrn}/hold"
    post = stack.http.post
    assert (await post(f"{hold}/release", json={"reason": "x"}, headers=stack.auth("supervisor"))).status_code == 409
    assert (await post(hold, json={"reason": "x"}, headers=stack.auth("inspector"))).status_code == 403
    assert (await post(hold, json={"reason": ""}, headers=stack.auth("customs_officer"))).status_code == 422
    placed = await post(
        hold, json={"reason": "awaiting end-user certificate from BAFA"}, headers=stack.auth("customs_officer")
    )
    assert placed.status_code == 200, placed.text
    assert placed.json()["hold"]["by"] == "customs_officer"
    assert (await post(hold, json={"reason": "again"}, headers=stack.auth("supervisor"))).status_code == 409

    [task] = await open_tasks(stack, "supervisor", mrn, "approval")
    await finish_task(stack, "supervisor", task["id"], "approve", "documents consistent")
    view = await wait_for(stack, mrn, lambda v: any(d["kind"] == "approval" for d in v["decisions"]))
    assert view["outcome"] is None and view["hold"]["reason"] == "awaiting end-user certificate from BAFA"
    # Still held a moment later: the approval did not release it.
    view = await clearance(stack, mrn)
    assert view["outcome"] is None and view["status"] != "completed"

    refused = await post(f"{hold}/release", json={"reason": "x"}, headers=stack.auth("export_control_officer"))
    assert refused.status_code == 403  # neither the officer who placed it nor a supervisor
    released = await post(f"{hold}/release", json={"reason": "certificate received"}, headers=stack.auth("supervisor"))
    assert released.status_code == 200, released.text
    view = await wait_for(stack, mrn, completed)
    assert view["outcome"] == "released" and view["hold"] is None
    holds = [(d["outcome"], d["actor"]) for d in view["decisions"] if d["kind"] == "hold"]
    assert holds == [("placed", "customs_officer"), ("released", "supervisor")]
    events = await audit_kinds(stack, mrn)
    assert [e["kind"] for e in events].count("hold_placed") == 1
    release = next(e for e in events if e["kind"] == "hold_released")
    assert release["detail"]["placed_by"] == "customs_officer" and release["detail"]["held_seconds"] > 0
    assert (await post(hold, json={"reason": "too late"}, headers=stack.auth("customs_officer"))).status_code == 409


async def test_a_held_clearance_can_still_be_invalidated(stack: Stack) -> None:
    mrn = await yellow_awaiting_approval(stack)
    held = await stack.http.post(
        f"/v1/clearances/{mrn}/hold", json={"reason": "check"}, headers=stack.auth("customs_officer")
    )
    assert held.status_code == 200
    gone = await stack.http.post(
        f"/v1/clearances/{mrn}/invalidation", json={"reason": "lodged twice"}, headers=stack.auth("declarant")
    )
    assert gone.status_code == 200, gone.text
    view = await wait_for(stack, mrn, completed)
    assert view["outcome"] == "invalidated"
