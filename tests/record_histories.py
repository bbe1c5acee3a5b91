"""Record workflow histories for the replay tests: `make histories` (= python -m tests.record_histories).

Run it when the interpreter gains behaviour worth guarding, and commit the new files under tests/histories/.
Only scenarios without a recorded history are recorded (name scenarios to record them again): older histories
are what guards running clearances. Never re-record to make a failing replay pass: a replay failure means the
change needs `workflow.patched()`.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from domain.exchange import delivery_workflow_id, exchange_workflow_id
from domain.rescreen import alert_workflow_id
from domain.search import ALL as SEARCH_ATTRIBUTES
from stack.codec import PLAIN
from store import sops
from tests.conftest import Stack, _fresh_db, make_stack
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
from tests.support import TEMPORAL_BIN, example, sop_definition

HISTORIES = Path(__file__).parent / "histories"


async def green_lane(stack: Stack) -> str:
    mrn = (await lodge(stack, example("green-lane")))["mrn"]
    await wait_for(stack, mrn, completed)
    return mrn


async def dual_use_inspected_and_approved(stack: Stack) -> str:
    reference = new_licence_reference()
    await stack.http.post("/v1/licences", json=licence_body(reference), headers=stack.auth("export_control_officer"))
    mrn = (await lodge(stack, with_licence_document(example("dual-use-licensed"), reference)))["mrn"]
    await wait_for(stack, mrn, awaiting("inspection_findings"))
    for who in ("inspector", "export_control_officer"):
        [task] = await open_tasks(stack, who, mrn, "inspection_findings")
        await finish_task(stack, who, task["id"], "compliant", "ok", {"seals_checked": True})
    await wait_for(stack, mrn, awaiting("approval"))
    [task] = await open_tasks(stack, "supervisor", mrn, "approval")
    await finish_task(stack, "supervisor", task["id"], "approve", "ok")
    await wait_for(stack, mrn, completed)
    return mrn


async def screening_confirmed_referred(stack: Stack) -> str:
    body = example("green-lane", country_of_destination="RU")
    body["consignee"] = {"name": "Volkov Dinamika OOO", "address": {"city": "Moscow", "country": "RU"}}
    mrn = (await lodge(stack, body))["mrn"]
    await wait_for(stack, mrn, awaiting("screening_review"))
    [task] = await open_tasks(stack, "export_control_officer", mrn, "screening_review")
    await finish_task(stack, "export_control_officer", task["id"], "confirmed_match", "same entity")
    await wait_for(stack, mrn, completed)
    return mrn


async def invalidated_while_awaiting_approval(stack: Stack) -> str:
    body = example("green-lane", country_of_destination="CN")
    body["consignee"]["address"]["country"] = "CN"
    mrn = (await lodge(stack, body))["mrn"]
    await wait_for(stack, mrn, awaiting("approval"))
    await stack.http.post(
        f"/v1/clearances/{mrn}/invalidation", json={"reason": "order cancelled"}, headers=stack.auth("declarant")
    )
    await wait_for(stack, mrn, completed)
    return mrn


async def rerouted_scheduled_held_released(stack: Stack) -> str:
    """Officers' actions: a re-route from yellow to red (the approval is called off), an inspection appointment,
    a hold that keeps the approval from opening, and its release."""
    body = example("green-lane", country_of_destination="CN")
    body["consignee"]["address"]["country"] = "CN"
    mrn = (await lodge(stack, body))["mrn"]
    await wait_for(stack, mrn, awaiting("approval"))
    officer = stack.auth("customs_officer")
    await stack.http.post(f"/v1/clearances/{mrn}/lane", json={"lane": "red", "reason": "tip-off"}, headers=officer)
    await wait_for(stack, mrn, awaiting("inspection_findings"))
    at = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    await stack.http.put(
        f"/v1/clearances/{mrn}/inspection/schedule", json={"at": at, "place": "Bay 4"}, headers=officer
    )
    await stack.http.post(f"/v1/clearances/{mrn}/hold", json={"reason": "intelligence check"}, headers=officer)
    for who in ("inspector", "export_control_officer"):
        [task] = await open_tasks(stack, who, mrn, "inspection_findings")
        await finish_task(stack, who, task["id"], "compliant", "ok", {"seals_checked": True})
    await wait_for(stack, mrn, lambda v: v["inspection"] is not None)
    await stack.http.post(f"/v1/clearances/{mrn}/hold/release", json={"reason": "cleared"}, headers=officer)
    await wait_for(stack, mrn, awaiting("approval"))
    [task] = await open_tasks(stack, "supervisor", mrn, "approval")
    await finish_task(stack, "supervisor", task["id"], "approve", "ok")
    await wait_for(stack, mrn, completed)
    return mrn


async def rescreened_held_and_released(stack: Stack) -> str:
    """Delta screening: a list import names the consignee of a clearance awaiting approval; the re-screening review
    holds it, the approval alone does not release it, a false positive does."""
    consignee = "Quorvath Lindqvist Optics LLC"
    body = example("green-lane", country_of_destination="CN")
    body["consignee"] = {"name": consignee, "address": {"city": "Shenzhen", "country": "CN"}}
    mrn = (await lodge(stack, body))["mrn"]
    await wait_for(stack, mrn, awaiting("approval"))
    listed = {"results": [{"id": "rec-1", "name": consignee, "type": "Entity", "programs": ["EAR"], "addresses": []}]}
    await stack.http.post(
        "/v1/screening-lists/recorded-list/import",
        content=json.dumps(listed).encode(),
        headers={**stack.auth("export_control_officer"), "Content-Type": "application/json"},
    )
    await wait_for(stack, mrn, awaiting("screening_review"))
    [approval] = await open_tasks(stack, "supervisor", mrn, "approval")
    await finish_task(stack, "supervisor", approval["id"], "approve", "ok")
    [review] = await open_tasks(stack, "export_control_officer", mrn, "screening_review")
    await finish_task(stack, "export_control_officer", review["id"], "false_positive", "other entity")
    await wait_for(stack, mrn, completed)
    return mrn


async def inspection_non_compliant_licence_restored(stack: Stack) -> str:
    """The licence check depletes a licence, the joint inspection is non-compliant, the clearance is referred and the
    depletion given back (the ending's compensation)."""
    reference = new_licence_reference()
    await stack.http.post("/v1/licences", json=licence_body(reference), headers=stack.auth("export_control_officer"))
    mrn = (await lodge(stack, with_licence_document(example("dual-use-licensed"), reference)))["mrn"]
    await wait_for(stack, mrn, awaiting("inspection_findings"))
    for who, outcome in (("inspector", "non_compliant"), ("export_control_officer", "compliant")):
        [task] = await open_tasks(stack, who, mrn, "inspection_findings")
        await finish_task(stack, who, task["id"], outcome, "seals broken", {"seals_checked": True})
    await wait_for(stack, mrn, completed)
    return mrn


async def released_then_alerted(stack: Stack) -> str:
    """A released clearance's consignee appears on a list imported later: the re-screen raises a post-release
    alert, which the export-control officer decides."""
    consignee = "Brannoch Veldt Instruments BV"
    body = example("green-lane")
    body["consignee"]["name"] = consignee
    mrn = (await lodge(stack, body))["mrn"]
    await wait_for(stack, mrn, completed)
    listed = {"results": [{"id": "alert-1", "name": consignee, "type": "Entity", "programs": ["EAR"], "addresses": []}]}
    await stack.http.post(
        "/v1/screening-lists/alert-list/import",
        content=json.dumps(listed).encode(),
        headers={**stack.auth("export_control_officer"), "Content-Type": "application/json"},
    )
    await wait_for(stack, mrn, lambda v: bool(v["rescreening"]))
    [task] = await open_tasks(stack, "export_control_officer", mrn, "post_release_alert")
    await finish_task(stack, "export_control_officer", task["id"], "no_action", "a different company")
    await wait_for(stack, mrn, lambda v: v["rescreening"][0]["result"] == "no_action")
    return mrn


async def agencies_export_control_held_and_released(stack: Stack) -> str:
    """Agencies as parties: the export-control verification is DEMO-EXPORT-CONTROL's task; its officer holds the
    clearance during the joint inspection (its standing: hold), both agencies find it compliant, the hold's release
    lets the export-control authority proceed and customs releases after approval (both may proceed)."""
    reference = new_licence_reference()
    await stack.http.post("/v1/licences", json=licence_body(reference), headers=stack.auth("export_control_officer"))
    mrn = (await lodge(stack, with_licence_document(example("dual-use-licensed"), reference)))["mrn"]
    await wait_for(stack, mrn, awaiting("inspection_findings"))
    officer = stack.auth("export_control_officer")
    await stack.http.post(f"/v1/clearances/{mrn}/hold", json={"reason": "end-user check"}, headers=officer)
    for who in ("inspector", "export_control_officer"):
        [task] = await open_tasks(stack, who, mrn, "inspection_findings")
        await finish_task(stack, who, task["id"], "compliant", "ok", {"seals_checked": True})
    await wait_for(stack, mrn, lambda v: v["inspection"] is not None)
    await stack.http.post(f"/v1/clearances/{mrn}/hold/release", json={"reason": "confirmed"}, headers=officer)
    await wait_for(stack, mrn, awaiting("approval"))
    [task] = await open_tasks(stack, "supervisor", mrn, "approval")
    await finish_task(stack, "supervisor", task["id"], "approve", "ok")
    await wait_for(stack, mrn, completed)


async def released_with_exchange(stack: Stack, lrn: str = "DE-EXP-2026-EXCH01") -> str:
    """A release notifies the partner of the destination country (acknowledged), the partner returns a control
    result, and customs confirms the exit. Recorded before `release-exchange`: with an `ExportExchange` and an
    `ExchangeDelivery` workflow per release."""
    mrn = (await lodge(stack, example("green-lane", lrn=lrn)))["mrn"]
    await wait_for(stack, mrn, completed)
    view = await wait_for(
        stack,
        mrn,
        lambda v: any(m["kind"] == "export_notification" and m["status"] == "acknowledged" for m in v["exchange"]),
    )
    [sent] = [m for m in view["exchange"] if m["kind"] == "export_notification"]
    await stack.http.post(
        f"/v1/exchange/messages/{sent['id']}/control-result",
        json={"result": "no_irregularity"},
        headers=stack.auth("partner_customs_officer"),
    )
    await wait_for(stack, mrn, lambda v: any(m["kind"] == "control_result" for m in v["exchange"]))
    await stack.http.post(f"/v1/clearances/{mrn}/exit", json={"note": "left"}, headers=stack.auth("customs_officer"))
    await wait_for(stack, mrn, lambda v: v["exit"]["status"] == "confirmed")
    return mrn


async def released_and_notified_in_its_last_task(stack: Stack) -> str:
    """The same since `release-exchange`: the clearance stores and delivers the notification in its last workflow
    task (no other workflow), and the exit is confirmed in the store."""
    return await released_with_exchange(stack, lrn="DE-EXP-2026-EXCH02")


def _related_workflows(view: dict[str, Any]) -> list[tuple[str, str]]:
    """(suffix, workflow id) of the workflows besides the clearance that a scenario ran for it."""
    related = [("-inspection", f"{view['workflow_id']}-joint_inspection")] if view.get("inspection") else []
    for entry in view.get("rescreening", []):
        related.append(("-rescreen", f"rescreen-{entry['list']}-{entry['revision']}"))
        if entry["result"] in ("alert_raised", "no_action", "refer_for_enforcement"):
            related.append(("-alert", alert_workflow_id(view["mrn"], entry["list"], entry["revision"])))
    if (view.get("exit") or {}).get("status") == "confirmed":
        related.append(("-exchange", exchange_workflow_id(view["mrn"])))
        for message in view.get("exchange", []):
            if message["direction"] == "out" and message["kind"] == "export_notification":
                related.append(("-delivery", delivery_workflow_id(message["id"])))
    return list(dict.fromkeys(related))


SCENARIOS = (
    green_lane,
    dual_use_inspected_and_approved,
    screening_confirmed_referred,
    invalidated_while_awaiting_approval,
    rerouted_scheduled_held_released,
    rescreened_held_and_released,
    inspection_non_compliant_licence_restored,
    released_then_alerted,
    agencies_export_control_held_and_released,
    released_with_exchange,
    released_and_notified_in_its_last_task,
)


async def record(names: list[str]) -> None:
    scenarios = (
        [s for s in SCENARIOS if s.__name__ in names]
        if names
        else [s for s in SCENARIOS if not (HISTORIES / f"{s.__name__}.json").exists()]
    )
    if not scenarios:
        print("every scenario has a recorded history; name scenarios to record them again")
        return
    HISTORIES.mkdir(exist_ok=True)
    # Plain payloads (the pydantic converter without the codec) on purpose: the recorded histories are reviewable
    # fixtures of invented data, and replaying them through the codec (tests/test_replay.py) proves that plain
    # histories from before encryption still replay.
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL_BIN),
        data_converter=PLAIN,
        search_attributes=list(SEARCH_ATTRIBUTES),
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = await _fresh_db(f"sqlite+aiosqlite:///{tmp}/clearance.db")
            async with db.session() as session:
                await sops.publish(session, sop_definition(1), by="recorder")
            async for stack in make_stack(env, db, Path(tmp), sop_name="test-clearance"):
                for scenario in scenarios:
                    mrn = await scenario(stack)
                    view = (await stack.http.get(f"/v1/clearances/{mrn}", headers=stack.auth("auditor"))).json()
                    for suffix, workflow_id in [("", view["workflow_id"]), *_related_workflows(view)]:
                        handle = env.client.get_workflow_handle(workflow_id)
                        try:
                            await handle.describe()
                        except RPCError as exc:  # a workflow an older release ran and this one does not
                            if exc.status == RPCStatusCode.NOT_FOUND:
                                continue
                            raise
                        await handle.result()  # the whole history, to its end
                        history = await handle.fetch_history()
                        path = HISTORIES / f"{scenario.__name__}{suffix}.json"
                        data: dict[str, Any] = json.loads(history.to_json())
                        path.write_text(json.dumps({"workflow_id": workflow_id, "history": data}, indent=1) + "\n")
                        print(f"recorded {path.relative_to(HISTORIES.parent.parent)}")
            await db.dispose()
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record(sys.argv[1:]))
