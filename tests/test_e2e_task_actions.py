"""Task actions beyond claim and complete: unclaim, reassign by a supervisor, delegate with a reason, comments,
and reason codes from the SOP. Every refused action records nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from api.main import create_app
from tests.conftest import Stack
from tests.e2e import awaiting, completed, lodge, open_tasks, wait_for
from tests.support import example, sop_data

pytestmark = pytest.mark.e2e
REASON_CODES = [
    {"code": "DOCS_OK", "title": "Documents consistent", "kinds": ["approval"], "outcomes": ["approve"]},
    {"code": "END_USE_DOUBT", "title": "End use not plausible", "kinds": ["approval"], "outcomes": ["reject", "refer"]},
]


@pytest.fixture
async def coded(stack: Stack) -> AsyncIterator[Stack]:
    """The same worker and database; an API whose SOP has reason codes for approvals."""
    data = sop_data(name=f"coded-{uuid.uuid4().hex[:6]}")
    data["settings"]["reason_codes"] = REASON_CODES
    async for api in api_on(stack, data):
        yield api


@pytest.fixture
async def bundled_v3(stack: Stack) -> AsyncIterator[Stack]:
    """An API whose clearances run the bundled v3 SOP (optional reason codes, escalation to the duty chief)."""
    async for api in api_on(stack, sop_data(3, name=f"v3-{uuid.uuid4().hex[:6]}")):
        yield api


async def api_on(stack: Stack, data: dict[str, object]) -> AsyncIterator[Stack]:
    name = str(data["name"])
    author = {**stack.auth("sop_author"), "Content-Type": "application/json"}
    assert (await stack.http.post("/v1/sops", content=json.dumps(data), headers=author)).status_code == 201
    settings = stack.settings.model_copy(update={"sop_name": name})
    app = create_app(settings, temporal=stack.client, db=stack.db)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        yield Stack(http=http, client=stack.client, db=stack.db, settings=settings, tokens=stack.tokens)


async def approval_task(stack: Stack) -> tuple[str, str]:
    body = example("green-lane", country_of_destination="CN")
    body["consignee"]["address"]["country"] = "CN"
    mrn = (await lodge(stack, body))["mrn"]
    await wait_for(stack, mrn, awaiting("approval"))
    [task] = await open_tasks(stack, "supervisor", mrn, "approval")
    return mrn, task["id"]


async def test_unclaim_reassign_delegate_and_comment(coded: Stack) -> None:
    stack = coded
    mrn, tid = await approval_task(stack)
    post = stack.http.post
    assert (await post(f"/v1/tasks/{tid}/unclaim", headers=stack.auth("supervisor"))).status_code == 409  # unclaimed
    assert (await post(f"/v1/tasks/{tid}/claim", headers=stack.auth("supervisor"))).status_code == 200

    comment = await post(
        f"/v1/tasks/{tid}/comments",
        json={"text": "asked the broker for the end-user statement"},
        headers=stack.auth("supervisor"),
    )
    assert comment.status_code == 200 and comment.json()["comments"][0]["by"] == "supervisor"
    assert (
        await post(f"/v1/tasks/{tid}/comments", json={"text": "x"}, headers=stack.auth("inspector"))
    ).status_code == 403

    refused = await post(
        f"/v1/tasks/{tid}/delegate", json={"to": "inspector", "reason": "busy"}, headers=stack.auth("supervisor")
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["body", "to"]
    assert (
        await post(
            f"/v1/tasks/{tid}/delegate", json={"to": "nobody", "reason": "busy"}, headers=stack.auth("supervisor")
        )
    ).status_code == 422
    assert (
        await post(
            f"/v1/tasks/{tid}/delegate", json={"to": "supervisor2", "reason": "busy"}, headers=stack.auth("supervisor2")
        )
    ).status_code == 403  # not the assignee
    delegated = await post(
        f"/v1/tasks/{tid}/delegate",
        json={"to": "supervisor2", "reason": "on leave tomorrow"},
        headers=stack.auth("supervisor"),
    )
    assert delegated.status_code == 200
    assert (delegated.json()["assignee"], delegated.json()["delegated_by"]) == ("supervisor2", "supervisor")

    assert (
        await post(
            f"/v1/tasks/{tid}/reassign", json={"to": "multi_officer", "reason": "x"}, headers=stack.auth("inspector")
        )
    ).status_code == 403  # only supervisors reassign
    back = await post(
        f"/v1/tasks/{tid}/reassign",
        json={"to": "supervisor", "reason": "back from leave"},
        headers=stack.auth("supervisor2"),
    )
    assert back.status_code == 200 and back.json()["assignee"] == "supervisor"
    released = await post(f"/v1/tasks/{tid}/unclaim", headers=stack.auth("supervisor"))
    assert released.status_code == 200 and released.json()["assignee"] is None

    audit = (await stack.http.get(f"/v1/clearances/{mrn}/audit", headers=stack.auth("auditor"))).json()["events"]
    kinds = [e["kind"] for e in audit]
    for kind in ("task_commented", "task_delegated", "task_reassigned", "task_unclaimed"):
        assert kinds.count(kind) == 1, kind  # refused actions left nothing behind
    assert next(e for e in audit if e["kind"] == "task_delegated")["detail"]["reason"] == "on leave tomorrow"


async def test_reason_codes_from_the_sop_are_required_and_must_fit_the_outcome(coded: Stack) -> None:
    stack = coded
    mrn, tid = await approval_task(stack)
    [task] = await open_tasks(stack, "supervisor", mrn, "approval")
    assert [c["code"] for c in task["reason_codes"]] == ["DOCS_OK", "END_USE_DOUBT"]
    complete = f"/v1/tasks/{tid}/complete"
    headers = stack.auth("supervisor")
    missing = await stack.http.post(complete, json={"outcome": "approve", "reason": "ok"}, headers=headers)
    assert missing.status_code == 422 and "DOCS_OK" in missing.json()["errors"][0]["msg"]
    wrong = await stack.http.post(
        complete, json={"outcome": "approve", "reason": "ok", "reason_code": "END_USE_DOUBT"}, headers=headers
    )
    assert wrong.status_code == 422
    done = await stack.http.post(
        complete, json={"outcome": "approve", "reason": "ok", "reason_code": "DOCS_OK"}, headers=headers
    )
    assert done.status_code == 200 and done.json()["reason_code"] == "DOCS_OK"
    assert (await wait_for(stack, mrn, completed))["outcome"] == "released"


async def test_v3_reason_codes_are_optional_but_must_fit_when_given(bundled_v3: Stack) -> None:
    stack = bundled_v3
    mrn, tid = await approval_task(stack)
    [task] = await open_tasks(stack, "supervisor", mrn, "approval")
    assert task["reason_code_required"] is False and task["escalation"]["to"] == "duty_chief"
    assert {c["code"] for c in task["reason_codes"]} >= {"APP_DOCS_OK", "APP_END_USE_DOUBT"}
    complete, headers = f"/v1/tasks/{tid}/complete", stack.auth("supervisor")
    wrong = await stack.http.post(
        complete, json={"outcome": "approve", "reason": "ok", "reason_code": "INS_CONFORM"}, headers=headers
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["loc"] == ["body", "reason_code"]
    done = await stack.http.post(complete, json={"outcome": "approve", "reason": "documents fine"}, headers=headers)
    assert done.status_code == 200 and done.json()["reason_code"] is None
    assert (await wait_for(stack, mrn, completed))["outcome"] == "released"
