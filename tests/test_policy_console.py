"""The console offers what the policy allows, as the workflow decides it: the duty chief an overdue task was escalated
to may reassign it, so the console offers them Reassign (it used to offer it to supervisors only)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from api.console.tasks import TaskActions
from api.main import create_app
from domain.clearance import Task, TaskKind
from store.models import Principal
from tests.conftest import Stack
from tests.e2e import awaiting, open_tasks, wait_for
from tests.support import example, sop_data
from tests.test_console import Console, api_task

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _principal(pid: str, *roles: str, agency: str = "DEMO-CUSTOMS") -> Principal:
    return Principal(id=pid, name=pid, agency=agency, roles=list(roles))


def _approval(**changes: object) -> Task:
    task = Task(
        id="26DE0000000000000-T1",
        mrn="26DE0000000000000",
        workflow_id="wf",
        kind=TaskKind.approval,
        role="supervisor",
        agency="DEMO-CUSTOMS",
        title="Approve",
        due_at=NOW + timedelta(hours=1),
        created_at=NOW,
    )
    return task.model_copy(update=changes)


def test_the_duty_chief_is_offered_reassign_once_the_task_is_escalated_to_them() -> None:
    chief = _principal("chief", "duty_chief")
    assert not TaskActions.of(_approval(), chief).reassign  # not theirs before the escalation
    escalated = _approval(role="duty_chief", escalated_from="supervisor")
    actions = TaskActions.of(escalated, chief)
    assert actions.reassign and actions.claim and actions.complete and actions.comment
    assert not TaskActions.of(escalated, _principal("chief", "duty_chief", agency="OTHER")).reassign
    assert TaskActions.of(escalated, _principal("boss", "supervisor")).reassign  # a supervisor always may
    assert not TaskActions.of(escalated, _principal("insp", "inspector")).reassign


@pytest.mark.e2e
async def test_the_console_offers_the_duty_chief_reassign_and_the_workflow_accepts_it(stack: Stack) -> None:
    name = f"chief-{uuid.uuid4().hex[:6]}"
    data = sop_data(name=name)
    approval = next(s for s in data["steps"] if s["kind"] == "approval")
    approval["task"]["due"] = "PT1S"
    approval["task"]["escalation"] = {"after": "PT1S", "to": "duty_chief"}
    author = {**stack.auth("sop_author"), "Content-Type": "application/json"}
    assert (await stack.http.post("/v1/sops", content=json.dumps(data), headers=author)).status_code == 201
    app = create_app(stack.settings.model_copy(update={"sop_name": name}), temporal=stack.client, db=stack.db)
    async with app.router.lifespan_context(app):
        console = Console(app, stack)
        body = example("green-lane", country_of_destination="CN")
        body["consignee"]["address"]["country"] = "CN"
        mrn = await console.lodge(body)
        await wait_for(stack, mrn, awaiting("approval"))
        [task] = await open_tasks(stack, "supervisor", mrn, "approval")
        deadline = time.monotonic() + 30
        while (await api_task(stack, task["id"]))["role"] != "duty_chief":
            assert time.monotonic() < deadline, "the approval was not escalated to the duty chief"
            await asyncio.sleep(0.2)

        url = f"/console/tasks/{task['id']}"
        async with console.signed_in("duty_chief") as chief:
            page = (await chief.get(url)).text
            assert 'id="reassign-to"' in page and 'id="delegate-to"' not in page
            done = await chief.post(f"{url}/reassign", data={"to": "supervisor2", "reason": "yours to decide"})
            assert done.status_code == 303, done.text
        async with console.signed_in("inspector") as inspector:
            assert (await inspector.get(url)).status_code == 404
    back = await api_task(stack, task["id"])
    assert (back["role"], back["assignee"], back["escalated_from"]) == ("supervisor", "supervisor2", "supervisor")
