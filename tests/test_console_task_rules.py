"""The console applies the API's completion rules the same way: the tolerance on the task and its form, a count
beyond it refused until the officer confirms, findings required; a supervisor's inbox has every task of the
agency with a role filter."""

from __future__ import annotations

import re

import pytest

from tests import test_console
from tests.e2e import awaiting, licence_body, new_licence_reference, open_tasks, wait_for, with_licence_document
from tests.support import example
from tests.test_console import Console, alert, api_task

console = test_console.console  # the console module's fixture: an app on the console test SOP

pytestmark = pytest.mark.e2e


async def _inspection(console: Console) -> tuple[str, dict[str, object]]:
    stack = console.stack
    reference = new_licence_reference()
    created = await stack.http.post(
        "/v1/licences", json=licence_body(reference), headers=stack.auth("export_control_officer")
    )
    assert created.status_code == 201
    mrn = await console.lodge(with_licence_document(example("dual-use-licensed"), reference))
    await wait_for(stack, mrn, awaiting("inspection_findings"))
    [task] = await open_tasks(stack, "inspector", mrn, "inspection_findings")
    return mrn, task


async def test_a_count_beyond_the_tolerance_is_refused_on_the_form_until_confirmed(console: Console) -> None:
    _, task = await _inspection(console)
    url = f"/console/tasks/{task['id']}"
    async with console.signed_in("inspector") as inspector:
        page = (await inspector.get(url)).text
        assert re.search(r"Quantity tolerance</dt><dd>0 % of the declared quantity", page)
        assert 'id="confirm-deviation"' in page and "The SOP's quantity tolerance is" in page

        empty = {"findings_form": "1", "outcome": "compliant", "reason": "looked"}
        refused = await inspector.post(f"{url}/complete", data=empty)
        assert refused.status_code == 422 and "needs its findings" in alert(refused.text)
        assert '<a href="#seals-checked-yes">' in refused.text

        form = {**empty, "count-0-seq": "1", "count-0-counted": "41"}
        warned = await inspector.post(f"{url}/complete", data=form)
        assert warned.status_code == 422
        assert "41 counted vs 40 declared is 2.5 %, beyond the SOP's 0 % tolerance" in alert(warned.text)
        assert '<a href="#count-0-counted">' in warned.text and 'value="41"' in warned.text
        assert (await api_task(console.stack, str(task["id"])))["state"] == "open"

        done = await inspector.post(f"{url}/complete", data={**form, "confirm_deviation": "1"})
        assert done.status_code == 303, alert(done.text)
    recorded = await api_task(console.stack, str(task["id"]))
    assert recorded["assignee"] == "inspector" and recorded["findings"] == {
        "counts": [{"item_sequence": 1, "counted": 41}]
    }


async def test_the_supervisors_inbox_has_every_task_of_the_agency_and_a_role_filter(console: Console) -> None:
    mrn, task = await _inspection(console)
    async with console.signed_in("supervisor") as supervisor:
        inbox = (await supervisor.get("/console")).text
        assert f'href="/console/tasks/{task["id"]}"' in inbox and 'id="filter-role"' in inbox
        inspectors = (await supervisor.get("/console", params={"role": "inspector"})).text
        assert f'href="/console/tasks/{task["id"]}"' in inspectors
        assert f"{mrn}-T" in inspectors and "Export control officer</td>" not in inspectors
        approvals = (await supervisor.get("/console", params={"role": "supervisor"})).text
        assert f'href="/console/tasks/{task["id"]}"' not in approvals
    async with console.signed_in("inspector") as inspector:
        assert 'id="filter-role"' not in (await inspector.get("/console")).text  # one role: nothing to filter
