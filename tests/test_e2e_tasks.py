"""Human tasks through the HTTP API: claim conflicts, wrong outcomes, finished tasks and four-eyes."""

from __future__ import annotations

import pytest

from tests.conftest import Stack
from tests.e2e import (
    CHECKED,
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


async def _approval_waiting(stack: Stack) -> tuple[str, dict[str, object]]:
    body = example("green-lane", country_of_destination="CN")
    body["consignee"]["address"]["country"] = "CN"
    mrn = (await lodge(stack, body))["mrn"]
    await wait_for(stack, mrn, awaiting("approval"))
    [task] = await open_tasks(stack, "supervisor", mrn, "approval")
    return mrn, task


async def test_claim_complete_and_their_refusals(stack: Stack) -> None:
    mrn, task = await _approval_waiting(stack)
    assert task["role"] == "supervisor" and task["assignee"] is None and task["state"] == "open"
    tid = task["id"]
    assert (await stack.http.post(f"/v1/tasks/{tid}/claim", headers=stack.auth("inspector"))).status_code == 403
    assert (await stack.http.post(f"/v1/tasks/{tid}/claim", headers=stack.auth("foreign_officer"))).status_code == 404
    claimed = await stack.http.post(f"/v1/tasks/{tid}/claim", headers=stack.auth("supervisor"))
    assert claimed.status_code == 200 and claimed.json()["assignee"] == "supervisor"
    assert (await stack.http.post(f"/v1/tasks/{tid}/claim", headers=stack.auth("supervisor"))).status_code == 200
    assert (await stack.http.post(f"/v1/tasks/{tid}/claim", headers=stack.auth("supervisor2"))).status_code == 409
    by_other = await stack.http.post(
        f"/v1/tasks/{tid}/complete", json={"outcome": "approve", "reason": "ok"}, headers=stack.auth("supervisor2")
    )
    assert by_other.status_code == 403
    wrong = await stack.http.post(
        f"/v1/tasks/{tid}/complete", json={"outcome": "compliant", "reason": "ok"}, headers=stack.auth("supervisor")
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["loc"] == ["body", "outcome"]
    listed = (await stack.http.get("/v1/tasks", params={"mrn": mrn}, headers=stack.auth("supervisor"))).json()
    assert [t["assignee"] for t in listed["items"]] == ["supervisor"]
    done = await stack.http.post(
        f"/v1/tasks/{tid}/complete",
        json={"outcome": "approve", "reason": "documents fine"},
        headers=stack.auth("supervisor"),
    )
    assert done.status_code == 200 and done.json()["state"] == "completed" and done.json()["outcome"] == "approve"
    twice = await stack.http.post(
        f"/v1/tasks/{tid}/complete", json={"outcome": "approve", "reason": "again"}, headers=stack.auth("supervisor")
    )
    assert twice.status_code == 409
    view = await wait_for(stack, mrn, completed)
    assert view["outcome"] == "released"
    history = (
        await stack.http.get("/v1/tasks", params={"state": "completed", "mrn": mrn}, headers=stack.auth("supervisor"))
    ).json()["items"]
    assert [t["id"] for t in history] == [tid]


async def test_four_eyes_approver_must_not_have_inspected(stack: Stack) -> None:
    reference = new_licence_reference()
    assert (
        await stack.http.post(
            "/v1/licences", json=licence_body(reference), headers=stack.auth("export_control_officer")
        )
    ).status_code == 201
    mrn = (await lodge(stack, with_licence_document(example("dual-use-licensed"), reference)))["mrn"]
    await wait_for(stack, mrn, awaiting("inspection_findings"))
    # the inspecting supervisor supervises customs, so it sees customs' inspection task and not the export-control
    # authority's; it inspects, and four-eyes then keeps it from approving
    [customs] = await open_tasks(stack, "inspecting_supervisor", mrn, "inspection_findings")
    [export_control] = await open_tasks(stack, "export_control_officer", mrn, "inspection_findings")
    assert (customs["role"], export_control["role"]) == ("inspector", "export_control_officer")
    await finish_task(stack, "inspecting_supervisor", customs["id"], "compliant", "ok", CHECKED)
    await finish_task(stack, "export_control_officer", export_control["id"], "compliant", "ok", CHECKED)
    await wait_for(stack, mrn, awaiting("approval"))
    [approval] = await open_tasks(stack, "inspecting_supervisor", mrn, "approval")
    refused = await stack.http.post(
        f"/v1/tasks/{approval['id']}/complete",
        json={"outcome": "approve", "reason": "mine"},
        headers=stack.auth("inspecting_supervisor"),
    )
    assert refused.status_code == 403 and "four-eyes" in refused.json()["detail"]
    await finish_task(stack, "supervisor", approval["id"], "approve", "independent review")
    assert (await wait_for(stack, mrn, completed))["outcome"] == "released"


async def test_non_compliant_inspection_refers_and_gives_the_licence_back(stack: Stack) -> None:
    reference = new_licence_reference()
    assert (
        await stack.http.post(
            "/v1/licences", json=licence_body(reference), headers=stack.auth("export_control_officer")
        )
    ).status_code == 201
    mrn = (await lodge(stack, with_licence_document(example("dual-use-licensed"), reference)))["mrn"]
    await wait_for(stack, mrn, awaiting("inspection_findings"))
    [customs] = await open_tasks(stack, "inspector", mrn, "inspection_findings")
    malformed = await stack.http.post(
        f"/v1/tasks/{customs['id']}/complete",
        json={"outcome": "non_compliant", "reason": "x", "findings": {"counts": [{"item_sequence": 0, "counted": 1}]}},
        headers=stack.auth("inspector"),
    )
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["loc"] == ["body", "findings", "counts", 0, "item_sequence"]
    for who in ("inspector", "export_control_officer"):
        [task] = await open_tasks(stack, who, mrn, "inspection_findings")
        outcome = "non_compliant" if who == "inspector" else "compliant"
        await finish_task(
            stack,
            who,
            task["id"],
            outcome,
            "48 pcs counted, 40 declared",
            {"discrepancies": [{"item_sequence": 1, "kind": "quantity", "declared": "40", "found": "48"}]},
        )
    view = await wait_for(stack, mrn, completed)
    assert view["outcome"] == "referred" and view["inspection"]["outcome"] == "non_compliant"
    licence = (await stack.http.get(f"/v1/licences/{reference}", headers=stack.auth("auditor"))).json()
    assert licence["items"][0]["remaining"]["quantity"]["value"] == "100.000"
    assert licence["depletions"][0]["restored_at"] is not None
