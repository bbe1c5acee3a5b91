"""Agencies as separate parties, through the HTTP API on the red lane (the contract's dual-use example): customs
and the export-control authority each decide their own task and see only their own; each agency's standing is in
the view; customs releases only when every party may proceed; an agency holds the clearance on its own account;
a refusal by the export-control authority ends in referral; the export-control authority's reads are audited."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

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
from tests.support import EXPORT_CONTROL_AGENCY, TEST_AGENCY, example

pytestmark = pytest.mark.e2e


def standing(view: dict[str, Any]) -> dict[str, str]:
    return {s["agency"]: s["status"] for s in view["agencies"]}


async def _in_inspection(stack: Stack) -> tuple[str, dict[str, Any], dict[str, Any]]:
    reference = new_licence_reference()
    created = await stack.http.post(
        "/v1/licences", json=licence_body(reference), headers=stack.auth("export_control_officer")
    )
    assert created.status_code == 201, created.text
    mrn = (await lodge(stack, with_licence_document(example("dual-use-licensed"), reference)))["mrn"]
    await wait_for(stack, mrn, awaiting("inspection_findings"))
    [customs] = await open_tasks(stack, "inspector", mrn, "inspection_findings")
    [export_control] = await open_tasks(stack, "export_control_officer", mrn, "inspection_findings")
    return mrn, customs, export_control


async def test_each_agency_decides_its_own_task_and_release_waits_for_both(stack: Stack) -> None:
    mrn, customs, export_control = await _in_inspection(stack)
    assert (customs["role"], export_control["role"]) == ("inspector", "export_control_officer")

    # each agency's inbox and view list its own tasks only; the other's task does not exist for it
    customs_view = await clearance(stack, mrn, "customs_officer")
    ec_view = await clearance(stack, mrn, "export_control_officer")
    assert [t["id"] for t in customs_view["tasks"] if t["kind"] == "inspection_findings"] == [customs["id"]]
    assert [t["id"] for t in ec_view["tasks"]] == [export_control["id"]]
    assert [t["id"] for t in await open_tasks(stack, "supervisor", mrn)] == [customs["id"]]
    for who, task in (
        ("inspector", export_control),
        ("supervisor", export_control),
        ("export_control_officer", customs),
    ):
        assert (await stack.http.get(f"/v1/tasks/{task['id']}", headers=stack.auth(who))).status_code == 404
        claim = await stack.http.post(f"/v1/tasks/{task['id']}/claim", headers=stack.auth(who))
        assert claim.status_code == 404, (who, claim.text)
    assert standing(customs_view) == {TEST_AGENCY: "pending", EXPORT_CONTROL_AGENCY: "pending"}
    kinds = {s["agency"]: s["kind"] for s in customs_view["agencies"]}
    assert kinds == {TEST_AGENCY: "customs", EXPORT_CONTROL_AGENCY: "export_control"}

    # the export-control authority holds the clearance: its standing is hold, and customs cannot lift it
    held = await stack.http.post(
        f"/v1/clearances/{mrn}/hold", json={"reason": "end-user check"}, headers=stack.auth("export_control_officer")
    )
    assert held.status_code == 200, held.text
    assert standing(held.json())[EXPORT_CONTROL_AGENCY] == "hold"
    lifted = await stack.http.post(
        f"/v1/clearances/{mrn}/hold/release", json={"reason": "x"}, headers=stack.auth("supervisor")
    )
    assert lifted.status_code == 403, lifted.text

    await finish_task(stack, "inspector", customs["id"], "compliant", "seals intact", CHECKED)
    await finish_task(stack, "export_control_officer", export_control["id"], "compliant", "matches licence", CHECKED)
    await asyncio.sleep(1.0)  # both findings are in; the hold keeps the clearance where it is
    view = await clearance(stack, mrn, "customs_officer")
    assert view["outcome"] is None and await open_tasks(stack, "supervisor", mrn, "approval") == []
    assert standing(view) == {TEST_AGENCY: "pending", EXPORT_CONTROL_AGENCY: "hold"}

    released = await stack.http.post(
        f"/v1/clearances/{mrn}/hold/release",
        json={"reason": "end user confirmed"},
        headers=stack.auth("export_control_officer"),
    )
    assert released.status_code == 200, released.text
    assert standing(released.json())[EXPORT_CONTROL_AGENCY] == "may_proceed"  # its finding, once the hold is gone
    view = await wait_for(stack, mrn, awaiting("approval"))
    [approval] = await open_tasks(stack, "supervisor", mrn, "approval")
    await finish_task(stack, "supervisor", approval["id"], "approve", "consistent")
    view = await wait_for(stack, mrn, completed)
    assert view["outcome"] == "released"
    assert standing(view) == {TEST_AGENCY: "may_proceed", EXPORT_CONTROL_AGENCY: "may_proceed"}
    ec = next(s for s in view["agencies"] if s["agency"] == EXPORT_CONTROL_AGENCY)
    assert ec["by"] == "export_control_officer" and ec["decided_at"] is not None

    audit = (await stack.http.get(f"/v1/clearances/{mrn}/audit", headers=stack.auth("auditor"))).json()["events"]
    changes = [(e["detail"]["agency"], e["detail"]["status"]) for e in audit if e["kind"] == "agency_standing"]
    assert (EXPORT_CONTROL_AGENCY, "hold") in changes and changes[-1] == (TEST_AGENCY, "may_proceed")
    # the export-control officer read it many times: one audited cross-agency read (per principal and hour)
    reads = [e for e in audit if e["kind"] == "cross_agency_read"]
    assert [(e["actor"], e["detail"]["agency"], e["detail"]["mrn"]) for e in reads] == [
        ("export_control_officer", EXPORT_CONTROL_AGENCY, mrn)
    ]
    assert not any(e["actor"] == "customs_officer" for e in reads)


async def test_a_refusal_by_the_export_control_authority_ends_in_referral(stack: Stack) -> None:
    mrn, customs, export_control = await _in_inspection(stack)
    await finish_task(stack, "inspector", customs["id"], "compliant", "seals intact", CHECKED)
    await finish_task(stack, "export_control_officer", export_control["id"], "non_compliant", "not the licensed model")
    view = await wait_for(stack, mrn, completed)
    assert view["outcome"] == "referred"
    assert standing(view) == {TEST_AGENCY: "refused", EXPORT_CONTROL_AGENCY: "refused"}


async def test_the_export_control_authority_reads_only_where_it_takes_part(stack: Stack) -> None:
    green = await wait_for(stack, (await lodge(stack, example("green-lane")))["mrn"], completed)
    assert standing(green) == {TEST_AGENCY: "may_proceed"}  # not controlled: customs alone
    refused = await stack.http.get(f"/v1/clearances/{green['mrn']}", headers=stack.auth("export_control_officer"))
    assert refused.status_code == 403
    hold = await stack.http.post(
        f"/v1/clearances/{green['mrn']}/hold", json={"reason": "x"}, headers=stack.auth("export_control_officer")
    )
    assert hold.status_code == 403
