"""What officers and declarants are told, through the real API on the dev server: completing claims in the same
Update, a compliant inspection needs findings, a count beyond the tolerance needs confirming; supervisors see the
agency's tasks; declarations refused in one voice; 415 for a body that is not declared JSON; one clock."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from tests.conftest import Stack
from tests.e2e import (
    awaiting,
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


async def _red_lane(stack: Stack) -> str:
    reference = new_licence_reference()
    created = await stack.http.post(
        "/v1/licences", json=licence_body(reference), headers=stack.auth("export_control_officer")
    )
    assert created.status_code == 201, created.text
    mrn = (await lodge(stack, with_licence_document(example("dual-use-licensed"), reference)))["mrn"]
    await wait_for(stack, mrn, awaiting("inspection_findings"))
    return mrn


async def _task(stack: Stack, who: str, task_id: str) -> dict[str, Any]:
    response = await stack.http.get(f"/v1/tasks/{task_id}", headers=stack.auth(who))
    assert response.status_code == 200, response.text
    return response.json()


async def test_inspection_completion_rules_through_the_api(stack: Stack) -> None:
    mrn = await _red_lane(stack)
    [customs] = await open_tasks(stack, "inspector", mrn, "inspection_findings")
    assert customs["assignee"] is None and (await _task(stack, "inspector", customs["id"]))["tolerance_pct"] == 0.0
    url, inspector = f"/v1/tasks/{customs['id']}/complete", stack.auth("inspector")

    bare = await stack.http.post(url, json={"outcome": "compliant", "reason": "ok"}, headers=inspector)
    assert bare.status_code == 422 and bare.json()["errors"][0]["loc"] == ["body", "findings"], bare.text
    huge = {
        "outcome": "compliant",
        "reason": "ok",
        "findings": {"counts": [{"item_sequence": 1, "counted": "1e999999999"}]},
    }
    refused = await stack.http.post(url, json=huge, headers=inspector)
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == [
        "body",
        "findings",
        "counts",
        0,
        "counted",
    ]
    two = {"outcome": "compliant", "reason": "ok", "findings": {"seals_checked": "perhaps", "evidence": [""]}}
    locs = [e["loc"] for e in (await stack.http.post(url, json=two, headers=inspector)).json()["errors"]]
    assert ["body", "findings", "seals_checked"] in locs and ["body", "findings", "evidence", 0] in locs

    over = {
        "outcome": "compliant",
        "reason": "41 counted",
        "findings": {"counts": [{"item_sequence": 1, "counted": 41}]},
    }
    warned = await stack.http.post(url, json=over, headers=inspector)
    assert warned.status_code == 422, warned.text
    [error] = warned.json()["errors"]
    assert error["loc"] == ["body", "findings", "counts", 0, "counted"]
    assert error["msg"].startswith("item 1: 41 counted vs 40 declared is 2.5 %, beyond the SOP's 0 % tolerance")
    # nothing was recorded by any refusal: the task is open and nobody holds it
    task = await _task(stack, "inspector", customs["id"])
    assert task["state"] == "open" and task["assignee"] is None

    # confirmed, and unclaimed: the completion claims it in the same Update
    done = await stack.http.post(url, json={**over, "confirm_deviation": True}, headers=inspector)
    assert done.status_code == 200 and done.json()["assignee"] == "inspector", done.text
    [export_control] = await open_tasks(stack, "export_control_officer", mrn, "inspection_findings")
    await finish_task(stack, "export_control_officer", export_control["id"], "compliant", "ok", {"evidence": ["lic"]})
    view = await wait_for(stack, mrn, completed)
    assert view["outcome"] == "referred"
    audit = (await stack.http.get(f"/v1/clearances/{mrn}/audit", headers=stack.auth("auditor"))).json()
    events = audit["events"]
    [completion] = [e for e in events if e["kind"] == "task_completed" and e["detail"]["task_id"] == customs["id"]]
    assert completion["detail"]["claimed_on_completion"] is True and completion["detail"]["confirmed_deviation"] is True
    _assert_decisions_within_their_stages(view)


async def test_a_task_someone_else_holds_cannot_be_completed(stack: Stack) -> None:
    mrn = await _red_lane(stack)
    [customs] = await open_tasks(stack, "inspector", mrn, "inspection_findings")
    claimed = await stack.http.post(f"/v1/tasks/{customs['id']}/claim", headers=stack.auth("supervisor"))
    assert claimed.status_code == 403  # a supervisor does not hold the inspector's role
    reassigned = await stack.http.post(
        f"/v1/tasks/{customs['id']}/reassign",
        json={"to": "inspector", "reason": "yours"},
        headers=stack.auth("supervisor"),
    )
    assert reassigned.status_code == 200, reassigned.text
    other = await stack.http.post(
        f"/v1/tasks/{customs['id']}/complete",
        json={"outcome": "non_compliant", "reason": "x"},
        headers=stack.auth("multi_officer"),
    )
    assert other.status_code == 403


async def test_supervisors_see_and_filter_every_task_of_their_agency(stack: Stack) -> None:
    mrn = await _red_lane(stack)
    supervisor = stack.auth("supervisor")
    by_role = await stack.http.get("/v1/tasks", params={"role": "inspector", "mrn": mrn}, headers=supervisor)
    assert by_role.status_code == 200, by_role.text
    assert [t["role"] for t in by_role.json()["items"]] == ["inspector"]
    everything = (await stack.http.get("/v1/tasks", params={"mrn": mrn}, headers=supervisor)).json()["items"]
    assert sorted(t["role"] for t in everything) == ["inspector"]  # the export-control task is the authority's
    theirs = stack.auth("export_control_supervisor")
    everything = (await stack.http.get("/v1/tasks", params={"mrn": mrn}, headers=theirs)).json()["items"]
    assert sorted(t["role"] for t in everything) == ["export_control_officer"]
    foreign = await stack.http.get("/v1/tasks", params={"mrn": mrn}, headers=stack.auth("foreign_officer"))
    assert foreign.json()["items"] == []
    refused = await stack.http.get("/v1/tasks", params={"role": "supervisor"}, headers=stack.auth("inspector"))
    assert refused.status_code == 403


async def test_declarations_are_refused_in_one_voice_with_every_error(stack: Stack) -> None:
    body = example("green-lane", country_of_destination="DE")
    body["consignee"]["address"]["country"] = "ca"
    body["declarant"]["eori"] = "DE12"
    body["goods_items"][0]["quantity"]["unit"] = "bananas"
    response = await stack.http.post("/v1/declarations", json=body, headers=stack.auth("declarant"))
    assert response.status_code == 422
    errors = {tuple(e["loc"]): e["msg"] for e in response.json()["errors"]}
    assert errors[("body", "country_of_destination")].startswith("'DE' is the country of the office of export")
    assert errors[("body", "consignee", "address", "country")] == (
        "'ca' is not an ISO 3166-1 alpha-2 country code (use upper case, e.g. CA)"
    )
    assert errors[("body", "declarant", "eori")].startswith("'DE12' is not an EORI number")
    assert "UN/ECE Recommendation 20" in errors[("body", "goods_items", 0, "quantity", "unit")]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
async def test_a_json_body_without_a_json_content_type_gets_415_and_changes_nothing(
    stack: Stack, content_type: str | None
) -> None:
    body = example("green-lane")
    headers = {**stack.auth("declarant"), **({"Content-Type": content_type} if content_type else {})}
    response = await stack.http.post("/v1/declarations", content=json.dumps(body), headers=headers)
    assert response.status_code == 415, response.text
    assert "Content-Type: application/json" in response.json()["detail"]
    completion = await stack.http.post(
        "/v1/tasks/nope/complete", content=b"outcome=approve", headers={**stack.auth("supervisor"), **headers}
    )
    assert completion.status_code == 415
    assert (await stack.http.post("/v1/declarations", json=body, headers=stack.auth("declarant"))).status_code == 202
    charset = {**stack.auth("declarant"), "Content-Type": "application/json; charset=utf-8"}
    assert (await stack.http.post("/v1/declarations", content=json.dumps(body), headers=charset)).status_code == 200


def _assert_decisions_within_their_stages(view: dict[str, Any]) -> None:
    stages = {entry["stage"]: entry for entry in view["timeline"]}
    assert view["decisions"], view
    for decision in view["decisions"]:
        entry = stages[decision["stage"]]
        at, start = datetime.fromisoformat(decision["at"]), datetime.fromisoformat(entry["started_at"])
        end = datetime.fromisoformat(entry["ended_at"])
        assert start <= at <= end, (decision, entry)


async def test_decisions_are_stamped_within_their_stage_and_when_they_were_made(stack: Stack) -> None:
    mrn = await _red_lane(stack)
    for who in ("inspector", "export_control_officer"):
        [task] = await open_tasks(stack, who, mrn, "inspection_findings")
        await finish_task(stack, who, task["id"], "compliant", "ok", {"seals_checked": True})
    await wait_for(stack, mrn, awaiting("approval"))
    [approval] = await open_tasks(stack, "supervisor", mrn, "approval")
    await finish_task(stack, "supervisor", approval["id"], "approve", "fine")
    view = await wait_for(stack, mrn, completed)
    _assert_decisions_within_their_stages(view)
    findings = {f["task_id"]: f["completed_at"] for f in view["inspection"]["findings"]}
    inspected = [d for d in view["decisions"] if d["kind"] == "inspection_findings"]
    assert len(inspected) == 2 and all(d["at"] == findings[d["task_id"]] for d in inspected)  # not when both were in
    approval_task = await _task(stack, "supervisor", approval["id"])
    [approved] = [d for d in view["decisions"] if d["kind"] == "approval"]
    assert approved["at"] == approval_task["completed_at"]
    lane = next(d for d in view["decisions"] if d["kind"] == "lane")
    assert lane["at"] >= next(e for e in view["timeline"] if e["stage"] == lane["stage"])["started_at"]
