"""Lists change, clearances follow: a list import re-screens clearances against the entries it added or changed.

An open clearance whose party now matches gets a screening review and a system hold; a released one (within the
look-back) an alert task for the export-control officer; an import that matches nobody changes nothing."""

from __future__ import annotations

import asyncio
import json
import random
import string
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from domain.clearance import ClearanceInput, ScreeningMatch
from domain.declaration import Declaration
from domain.mrn import make_mrn, workflow_id_for_mrn
from domain.rescreen import (
    RESCREEN_HIT_SIGNAL,
    PartyHit,
    RescreenHit,
    RescreenInput,
    RescreenSummary,
    alert_workflow_id,
    rescreen_workflow_id,
)
from sop.model import SopRef
from tests.conftest import Stack
from tests.e2e import awaiting, clearance, completed, finish_task, lodge, open_tasks, wait_for
from tests.support import EXPORT_CONTROL_AGENCY, example, sop_definition
from workflows.clearance import ClearanceWorkflow
from workflows.rescreen import ListRescreenWorkflow

pytestmark = pytest.mark.e2e


def invented_name() -> str:
    """A company name no other test uses, so only this test's clearances can match it."""
    word = "".join(random.choices(string.ascii_lowercase, k=9)).capitalize()
    return f"{word} Photonics Trading LLC"


def csl(*entries: tuple[str, str, str]) -> bytes:
    """A CSL JSON file with (id, name, country) entries."""
    results = [
        {
            "id": entry_id,
            "type": "Entity",
            "programs": ["EAR"],
            "name": name,
            "addresses": [{"address": "1 Test Street", "city": "Test", "country": country}],
            "source": "Entity List (EL) - Bureau of Industry and Security",
            "alt_names": [],
        }
        for entry_id, name, country in entries
    ]
    return json.dumps({"results": results}).encode()


async def import_list(stack: Stack, name: str, body: bytes) -> dict[str, Any]:
    response = await stack.http.post(
        f"/v1/screening-lists/{name}/import",
        content=body,
        headers={**stack.auth("export_control_officer"), "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def rescreen_done(stack: Stack, imported: dict[str, Any]) -> RescreenSummary:
    workflow_id = rescreen_workflow_id(imported["list"], imported["revision"])
    handle = stack.client.get_workflow_handle(workflow_id, result_type=RescreenSummary)
    return await asyncio.wait_for(handle.result(), timeout=30)


@asynccontextmanager
async def console(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """The officers' console of the same app, signed in as the export-control officer."""
    async with httpx.AsyncClient(transport=stack.http._transport, base_url="http://test") as client:
        signed = await client.post("/console/login", data={"token": stack.tokens["export_control_officer"]})
        assert signed.status_code == 303, signed.text
        yield client


async def audit(stack: Stack, mrn: str) -> list[dict[str, Any]]:
    response = await stack.http.get(f"/v1/clearances/{mrn}/audit", headers=stack.auth("auditor"))
    assert response.status_code == 200
    return response.json()["events"]


async def yellow_awaiting_approval(stack: Stack, consignee: str) -> str:
    body = example("green-lane", country_of_destination="CN")
    body["consignee"] = {"name": consignee, "address": {"city": "Shenzhen", "country": "CN"}}
    mrn = (await lodge(stack, body))["mrn"]
    await wait_for(stack, mrn, awaiting("approval"))
    return mrn


async def test_an_open_clearance_whose_consignee_is_listed_is_held_for_review(stack: Stack) -> None:
    consignee = invented_name()
    mrn = await yellow_awaiting_approval(stack, consignee)
    list_name = f"rs-{uuid.uuid4().hex[:8]}"
    imported = await import_list(stack, list_name, csl(("e-1", consignee, "CN")))
    assert imported["changed"] == 1

    view = await wait_for(stack, mrn, awaiting("screening_review"))
    revision = imported["revision"]
    assert view["hold"]["by"] == "system"
    assert view["hold"]["reason"] == f"re-screening: new possible match on {list_name} rev {revision}"
    [entry] = view["rescreening"]
    assert (entry["list"], entry["revision"], entry["party"], entry["entries"], entry["result"]) == (
        list_name,
        revision,
        "consignee",
        ["e-1"],
        "review_opened",
    )
    [review] = await open_tasks(stack, "export_control_officer", mrn, "screening_review")
    assert review["id"] == entry["task_id"]
    detail = (await stack.http.get(f"/v1/tasks/{review['id']}", headers=stack.auth("export_control_officer"))).json()
    assert detail["subject"]["party"]["matches"][0]["entry_id"] == "e-1"
    assert detail["subject"]["rescreen"] == {"list": list_name, "revision": revision}
    rescreened = [e for e in await audit(stack, mrn) if e["kind"] == "rescreened"]
    assert [(e["detail"]["list"], e["detail"]["revision"], e["detail"]["result"]) for e in rescreened] == [
        (list_name, revision, "review_opened")
    ]
    assert rescreened[0]["detail"]["matches"][0]["entry_id"] == "e-1"

    # The same revision delivered again (a repeated start) and the same file imported again open nothing new.
    again = await stack.client.execute_workflow(
        ListRescreenWorkflow.run,
        RescreenInput(list=list_name, revision=revision),
        id=f"rescreen-again-{uuid.uuid4().hex[:6]}",
        task_queue=stack.settings.temporal_task_queue,
    )
    assert again.scanned >= 1 and again.signalled == 0  # the read model shows the match is known
    # and the clearance itself ignores a hit it has seen, should one reach it again
    await stack.client.get_workflow_handle(view["workflow_id"]).signal(
        RESCREEN_HIT_SIGNAL,
        RescreenHit(
            list=list_name,
            revision=revision,
            parties=[PartyHit(role="consignee", name=consignee, matches=detail["subject"]["party"]["matches"])],
        ),
    )
    reimported = await import_list(stack, list_name, csl(("e-1", consignee, "CN")))
    assert reimported["changed"] == 0
    with pytest.raises(Exception, match="not found"):
        await stack.client.get_workflow_handle(rescreen_workflow_id(list_name, reimported["revision"])).describe()
    await asyncio.sleep(0.5)
    assert len(await open_tasks(stack, "export_control_officer", mrn, "screening_review")) == 1
    assert len((await clearance(stack, mrn))["rescreening"]) == 1

    # The system hold stays until the review is decided; the approval alone does not release the clearance.
    release = await stack.http.post(
        f"/v1/clearances/{mrn}/hold/release", json={"reason": "go"}, headers=stack.auth("supervisor")
    )
    assert release.status_code == 409, release.text
    [approval] = await open_tasks(stack, "supervisor", mrn, "approval")
    await finish_task(stack, "supervisor", approval["id"], "approve", "documents in order")
    await asyncio.sleep(0.5)
    view = await clearance(stack, mrn)
    assert view["outcome"] is None and view["hold"] is not None

    await finish_task(stack, "export_control_officer", review["id"], "false_positive", "other entity, other city")
    view = await wait_for(stack, mrn, completed)
    assert view["outcome"] == "released" and view["hold"] is None
    assert view["rescreening"][0]["result"] == "false_positive"
    kinds = [e["kind"] for e in await audit(stack, mrn)]
    assert kinds.index("hold_placed") < kinds.index("hold_released") < kinds.index("outcome")


async def test_a_confirmed_match_on_re_screening_refers_the_clearance(stack: Stack) -> None:
    consignee = invented_name()
    mrn = await yellow_awaiting_approval(stack, consignee)
    imported = await import_list(stack, f"rs-{uuid.uuid4().hex[:8]}", csl(("e-9", consignee, "CN")))
    await wait_for(stack, mrn, awaiting("screening_review"))
    [review] = await open_tasks(stack, "export_control_officer", mrn, "screening_review")
    await finish_task(stack, "export_control_officer", review["id"], "confirmed_match", "same entity")
    view = await wait_for(stack, mrn, completed)
    assert view["outcome"] == "referred" and view["hold"] is None
    assert view["rescreening"][0]["result"] == "confirmed_match"
    tasks = {t["kind"]: t for t in view["tasks"]}
    assert tasks["approval"]["state"] == "cancelled"
    assert any(d["kind"] == "referral-notice" for d in view["documents"])
    assert (await rescreen_done(stack, imported)).signalled >= 1


async def test_a_released_clearance_that_now_matches_raises_a_post_release_alert(stack: Stack) -> None:
    consignee = invented_name()
    body = example("green-lane")
    body["consignee"]["name"] = consignee
    mrn = (await lodge(stack, body))["mrn"]
    released = await wait_for(stack, mrn, completed)
    assert released["outcome"] == "released"
    list_name = f"rs-{uuid.uuid4().hex[:8]}"
    imported = await import_list(stack, list_name, csl(("e-2", consignee, "CA")))
    summary = await rescreen_done(stack, imported)
    assert summary.alerts >= 1

    async def alert() -> list[dict[str, Any]]:
        for _ in range(100):
            found = await open_tasks(stack, "export_control_officer", mrn, "post_release_alert")
            if found:
                return found
            await asyncio.sleep(0.1)
        raise AssertionError("no post-release alert task")

    [task] = await alert()
    assert task["role"] == "export_control_officer"
    assert task["workflow_id"] == alert_workflow_id(mrn, list_name, imported["revision"])
    assert not await open_tasks(stack, "customs_officer", mrn)
    view = await clearance(stack, mrn)
    assert view["outcome"] == "released"
    assert [(e["party"], e["result"], e["task_id"]) for e in view["rescreening"]] == [
        ("consignee", "alert_raised", task["id"])
    ]
    async with console(stack) as page:
        inbox = (await page.get("/console", params={"kind": "post_release_alert"})).text
        assert task["id"] in inbox and "Post release alert" in inbox
        shown = (await page.get(f"/console/tasks/{task['id']}")).text
        assert f"Found when list {list_name} was imported (revision {imported['revision']})" in shown
        assert "after the clearance was released" in shown and "e-2" in shown
        assert "No action" in shown and "Refer for enforcement" in shown
        cleared = (await page.get(f"/console/clearances/{mrn}")).text
        assert "Re-screening after list imports" in cleared and "Alert raised" in cleared
    wrong = await stack.http.post(
        f"/v1/tasks/{task['id']}/complete",
        json={"outcome": "false_positive", "reason": "x"},
        headers=stack.auth("export_control_officer"),
    )
    assert wrong.status_code == 422
    await finish_task(stack, "export_control_officer", task["id"], "refer_for_enforcement", "shipped to a listed party")
    for _ in range(100):
        view = await clearance(stack, mrn)
        if view["rescreening"][0]["result"] != "alert_raised":
            break
        await asyncio.sleep(0.1)
    assert view["rescreening"][0]["result"] == "refer_for_enforcement"
    events = await audit(stack, mrn)
    assert [e["detail"]["result"] for e in events if e["kind"] == "rescreened"] == ["alert_raised"]
    assert {"task_created", "task_claimed", "task_completed"} <= {e["kind"] for e in events if e["seq"] > 10**9}


async def test_an_import_that_matches_nobody_changes_nothing(stack: Stack) -> None:
    mrn = await yellow_awaiting_approval(stack, invented_name())
    before = await clearance(stack, mrn)
    events_before = await audit(stack, mrn)
    imported = await import_list(stack, f"rs-{uuid.uuid4().hex[:8]}", csl(("e-3", invented_name(), "CN")))
    summary = await rescreen_done(stack, imported)
    assert summary.scanned >= 1
    after = await clearance(stack, mrn)
    assert after["rescreening"] == [] and after["hold"] is None
    assert after["revision"] == before["revision"]
    assert await audit(stack, mrn) == events_before
    assert [t["kind"] for t in await open_tasks(stack, "supervisor", mrn)] == ["approval"]
    assert not await open_tasks(stack, "export_control_officer", mrn)


async def test_a_hit_before_screening_joins_the_screenings_own_review(stack: Stack) -> None:
    """A hit that reaches a clearance before its screening ran (signal-with-start delivers it first) is merged into
    the screening result: the screening step's own review covers it, without a system hold."""
    consignee = invented_name()
    body = example("green-lane")
    body["consignee"]["name"] = consignee
    declaration = Declaration.model_validate(body)
    mrn = make_mrn(year=2026, country="DE", key=uuid.uuid4().hex[:13].upper())
    sop = sop_definition(1)
    match = ScreeningMatch(list="rs-early", entry_id="e-7", name=consignee, score=100.0)
    hit = RescreenHit(
        list="rs-early", revision=3, parties=[PartyHit(role="consignee", name=consignee, matches=[match])]
    )
    await stack.client.start_workflow(
        ClearanceWorkflow.run,
        ClearanceInput(
            mrn=mrn,
            lrn=declaration.lrn,
            declarant_eori=declaration.declarant.eori,
            body_hash=declaration.body_hash(),
            accepted_at=datetime.now(UTC),
            declaration=declaration,
            sop=sop,
            sop_ref=SopRef(name=sop.name, version=sop.version, hash=sop.content_hash()),
            parties={"customs": sop.agency, "export_control": EXPORT_CONTROL_AGENCY},  # as the API resolves them
        ),
        id=workflow_id_for_mrn(mrn),
        task_queue=stack.settings.temporal_task_queue,
        memo={  # as the API writes it: GET /v1/clearances finds the clearance before its read model exists
            "mrn": mrn,
            "lrn": declaration.lrn,
            "declarant_eori": declaration.declarant.eori,
            "agency": sop.agency,
            "sop": {"name": sop.name, "version": sop.version},
            "accepted_at": datetime.now(UTC).isoformat(),
        },
        start_signal=RESCREEN_HIT_SIGNAL,
        start_signal_args=[hit],
    )
    view = await wait_for(stack, mrn, awaiting("screening_review"))
    consignee_screening = next(p for p in view["screening"]["parties"] if p["role"] == "consignee")
    assert consignee_screening["status"] == "possible_match"
    assert [m["entry_id"] for m in consignee_screening["matches"]] == ["e-7"]
    assert [(e["result"], e["entries"]) for e in view["rescreening"]] == [("added_to_screening", ["e-7"])]
    assert view["hold"] is None
    [review] = await open_tasks(stack, "export_control_officer", mrn, "screening_review")
    await finish_task(stack, "export_control_officer", review["id"], "false_positive", "other entity")
    view = await wait_for(stack, mrn, completed)
    assert view["outcome"] == "released"
