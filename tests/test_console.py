"""The officers' console over HTTP (ASGI) on the real stack: signing in, the inbox and its filters, task actions
through the same code as the JSON API (a refusal is shown on the page and records nothing), clearance search, the
SOP pages and the stage-time report."""

from __future__ import annotations

import asyncio
import html
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.main import create_app
from tests.conftest import Stack
from tests.e2e import (
    awaiting,
    completed,
    licence_body,
    new_licence_reference,
    open_tasks,
    wait_for,
    with_licence_document,
)
from tests.support import example, sop_data

pytestmark = pytest.mark.e2e


@dataclass
class Console:
    app: FastAPI
    stack: Stack

    def client(self, base_url: str = "http://test") -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=base_url)

    @asynccontextmanager
    async def signed_in(self, who: str) -> AsyncIterator[httpx.AsyncClient]:
        async with self.client() as client:
            response = await client.post("/console/login", data={"token": self.stack.tokens[who]})
            assert response.status_code == 303, response.text
            yield client

    async def lodge(self, body: dict[str, Any]) -> str:
        """Lodged through this app, so the clearance runs on the console test SOP."""
        async with self.client() as client:
            response = await client.post("/v1/declarations", json=body, headers=self.stack.auth("declarant"))
        assert response.status_code == 202, response.text
        mrn: str = response.json()["mrn"]
        return mrn


@pytest.fixture(scope="module")
async def console(stack: Stack) -> AsyncIterator[Console]:
    """The same worker and database; an app whose SOP makes approvals due after a second (escalating in a day)."""
    name = f"console-{uuid.uuid4().hex[:6]}"
    data = sop_data(name=name)
    approval = next(s for s in data["steps"] if s["kind"] == "approval")
    approval["task"]["due"] = "PT1S"
    approval["task"]["escalation"] = {"after": "P1D", "to": "duty_chief"}
    author = {**stack.auth("sop_author"), "Content-Type": "application/json"}
    assert (await stack.http.post("/v1/sops", content=json.dumps(data), headers=author)).status_code == 201
    app = create_app(stack.settings.model_copy(update={"sop_name": name}), temporal=stack.client, db=stack.db)
    async with app.router.lifespan_context(app):
        yield Console(app, stack)


def yellow_lane() -> dict[str, Any]:
    body = example("green-lane", country_of_destination="CN")
    body["consignee"]["address"]["country"] = "CN"
    return body


async def approval_task(console: Console) -> tuple[str, str]:
    mrn = await console.lodge(yellow_lane())
    await wait_for(console.stack, mrn, awaiting("approval"))
    [task] = await open_tasks(console.stack, "supervisor", mrn, "approval")
    return mrn, task["id"]


async def api_task(stack: Stack, task_id: str) -> dict[str, Any]:
    response = await stack.http.get(f"/v1/tasks/{task_id}", headers=stack.auth("supervisor"))
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()
    return task


def alert(page: str) -> str:
    """The text of the page's error summary (role="alert")."""
    found = re.search(r'<div class="error-summary" role="alert".*?</div>', page, re.S)
    assert found, "the page shows no error summary"
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))).strip())


def row_of(page: str, text: str) -> str | None:
    return next((row for row in re.findall(r"<tr>.*?</tr>", page, re.S) if text in row), None)


# --- signing in ------------------------------------------------------------------------------------------


async def test_sign_in_with_a_token_and_out_again(console: Console) -> None:
    async with console.client() as anonymous:
        assert (await anonymous.get("/console")).headers["location"] == "/console/login?next=/console"
        away = await anonymous.get("/console/clearances?status=completed")
        assert away.status_code == 303 and away.headers["location"].startswith(
            "/console/login?next=/console/clearances"
        )
        form = await anonymous.get("/console/login")
        assert form.status_code == 200 and '<label class="label" for="token">Access token</label>' in form.text
        wrong = await anonymous.post("/console/login", data={"token": "not-a-token"})
        assert wrong.status_code == 401 and "not recognised" in alert(wrong.text)
        assert "set-cookie" not in wrong.headers and "not-a-token" not in wrong.text
        empty = await anonymous.post("/console/login", data={"token": ""})
        assert empty.status_code == 401 and "Enter your access token" in alert(empty.text)
        assert (await anonymous.get("/console/no-such-page")).status_code in (303, 404)

    async with console.client() as client:
        token = console.stack.tokens["customs_officer"]
        signed = await client.post("/console/login", data={"token": token, "next": "/console/clearances"})
        assert signed.status_code == 303 and signed.headers["location"] == "/console/clearances"
        cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith("console_session="))
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
        assert "Secure" not in cookie  # plain http here
        inbox = await client.get("/console")
        assert inbox.status_code == 200
        assert "Customs Officer" in inbox.text and "DEMO-CUSTOMS" in inbox.text and "Customs officer" in inbox.text
        assert "Signed in as Customs Officer." in inbox.text  # the flash, once
        assert "Signed in as Customs Officer." not in (await client.get("/console")).text
        assert (await client.get("/console/no-such-page")).status_code == 404
        # A form posted from another site is refused even with the cookie.
        forged = await client.post("/console/logout", headers={"Origin": "http://evil.example"})
        assert forged.status_code == 403
        out = await client.post("/console/logout")
        assert out.status_code == 303 and out.headers["location"] == "/console/login"
        assert (await client.get("/console")).status_code == 303

    async with console.client("https://test") as secure:
        signed = await secure.post("/console/login", data={"token": token, "next": "//evil.example/x"})
        assert signed.headers["location"] == "/console"  # never an open redirect
        assert "Secure" in next(c for c in signed.headers.get_list("set-cookie") if "console_session" in c)

    async with console.signed_in("declarant") as declarant:
        page = await declarant.get("/console")
        assert page.status_code == 403 and "The console is for agency staff" in page.text

    async with console.signed_in("auditor") as auditor:
        page = await auditor.get("/console")
        assert page.status_code == 200 and "receive no tasks" in page.text

    schema = (await console.stack.http.get("/openapi.json")).json()
    assert not [path for path in schema["paths"] if path.startswith("/console")]


# --- the inbox -------------------------------------------------------------------------------------------


async def test_inbox_filters_overdue_kind_lane_and_mine(console: Console) -> None:
    stack = console.stack
    mrn_approval, approval = await approval_task(console)
    review_body = example("green-lane", country_of_destination="RU")
    review_body["consignee"] = {"name": "Volkov Dinamika OOO", "address": {"city": "Moscow", "country": "RU"}}
    mrn_review = await console.lodge(review_body)
    await wait_for(stack, mrn_review, awaiting("screening_review"))
    [review_task] = await open_tasks(stack, "export_control_officer", mrn_review, "screening_review")
    review = review_task["id"]

    deadline = time.monotonic() + 10
    while not (await api_task(stack, approval))["overdue"]:  # the workflow's durable timer flags it
        assert time.monotonic() < deadline, "the approval never became overdue"
        await asyncio.sleep(0.2)

    async with console.signed_in("multi_officer") as officer:  # a customs supervisor (with the export-control role)
        everything = (await officer.get("/console")).text
        # the screening review is the export-control authority's task: not in customs' inbox, whatever the roles
        assert approval in everything and review not in everything
        approval_row = row_of(everything, approval)
        assert approval_row and "Overdue" in approval_row and "Yellow" in approval_row and mrn_approval in approval_row
        assert f'href="/console/tasks/{approval}"' in approval_row
        assert f'href="/console/clearances/{mrn_approval}"' in approval_row
        assert approval in (await officer.get("/console", params={"overdue": "1"})).text
        assert approval not in (await officer.get("/console", params={"kind": "screening_review"})).text
        assert approval in (await officer.get("/console", params={"lane": "yellow"})).text
        assert approval in (await officer.get("/console", params={"due_within": "1"})).text
        assert (await officer.get(f"/console/tasks/{review}")).status_code == 404

    async with console.signed_in("export_control_officer") as officer:  # DEMO-EXPORT-CONTROL: its own inbox
        everything = (await officer.get("/console")).text
        assert review in everything and approval not in everything
        review_row = row_of(everything, review)
        assert review_row and "Overdue" not in review_row and "Screening review" in review_row

        overdue = (await officer.get("/console", params={"overdue": "1"})).text
        assert review not in overdue
        by_kind = (await officer.get("/console", params={"kind": "screening_review"})).text
        assert review in by_kind
        by_lane = (await officer.get("/console", params={"lane": "yellow"})).text
        assert review not in by_lane
        soon = (await officer.get("/console", params={"due_within": "1"})).text
        assert review not in soon  # the review is due in four hours
        assert review not in (await officer.get("/console", params={"mine": "1"})).text
        assert (await officer.post(f"/console/tasks/{review}/claim")).status_code == 303
        mine = (await officer.get("/console", params={"mine": "1"})).text
        assert review in mine

        # The screening review shows the party as declared beside the list entry it matched.
        page = (await officer.get(f"/console/tasks/{review}")).text
        assert "Screening evidence" in page and "Volkov Dinamika OOO" in page and "Volkov Dynamics OOO" in page
        assert "demo-0001" in page and "demo-csl" in page and "on the alias" in page
        # Everything that tells the entities apart, from the full list entry: aliases, address, dates, programme,
        # source list and its licence policy; the words both share are marked.
        for text in (
            "ООО Волков Динамика",  # noqa: RUF001 (the alias in Cyrillic script)
            "ul. Promyshlennaya 14, str. 2, 115088 Moscow, RU",  # the address, marks aside
            "since 2024-01-15",
            "EAR",
            "Entity List (EL) - Bureau of Industry and Security",
            "Presumption of denial.",
            "For all items subject to the EAR.",
        ):
            assert text in html.unescape(re.sub(r"</?mark>", "", page)), text
        assert "<mark>Volkov</mark>" in page and "<mark>Dinamika</mark>" in page


# --- task actions ----------------------------------------------------------------------------------------


async def test_refused_actions_show_the_refusal_and_record_nothing(console: Console) -> None:
    stack = console.stack
    mrn, task_id = await approval_task(console)

    async with console.signed_in("auditor") as auditor:  # may read the task, may not act on it
        page = (await auditor.get(f"/console/tasks/{task_id}")).text
        assert "Claim task" not in page and "Record your decision" not in page
        refused = await auditor.post(f"/console/tasks/{task_id}/claim")
        assert refused.status_code == 403 and "is for role supervisor" in alert(refused.text)
        assert "Nothing was recorded" in alert(refused.text) and "The clearance" in refused.text
    async with console.signed_in("inspector") as inspector:  # may not even see it
        assert (await inspector.get(f"/console/tasks/{task_id}")).status_code == 404
        refused = await inspector.post(f"/console/tasks/{task_id}/claim")
        assert refused.status_code == 403 and "is for role supervisor" in alert(refused.text)

    async with console.signed_in("supervisor") as supervisor:
        bad = await supervisor.post(
            f"/console/tasks/{task_id}/complete", data={"outcome": "bogus", "reason": "looked at the invoice"}
        )
        assert bad.status_code == 422
        message = alert(bad.text)
        assert "outcome 'bogus' is not allowed" in message and "Nothing was recorded" in message
        assert '<a href="#outcome"><code>outcome</code></a>' in bad.text
        assert ">looked at the invoice</textarea>" in bad.text  # the officer's input is kept

        no_reason = await supervisor.post(f"/console/tasks/{task_id}/complete", data={"outcome": "approve"})
        assert no_reason.status_code == 422 and "Enter a reason" in alert(no_reason.text)
        assert 'aria-invalid="true"' in no_reason.text

        nobody = await supervisor.post(f"/console/tasks/{task_id}/reassign", data={"to": "nobody", "reason": "x"})
        assert nobody.status_code == 422 and "no principal nobody" in alert(nobody.text)
        assert 'value="nobody"' in nobody.text

    task = await api_task(stack, task_id)
    assert (task["state"], task["assignee"], task["outcome"]) == ("open", None, None)
    audit = (await stack.http.get(f"/v1/clearances/{mrn}/audit", headers=stack.auth("auditor"))).json()["events"]
    assert not [e for e in audit if e["kind"] in ("task_claimed", "task_completed", "task_reassigned")]


async def test_claim_comment_and_complete_move_the_clearance_on(console: Console) -> None:
    stack = console.stack
    mrn, task_id = await approval_task(console)
    async with console.signed_in("supervisor") as supervisor:
        claimed = await supervisor.post(f"/console/tasks/{task_id}/claim")
        assert claimed.status_code == 303 and claimed.headers["location"] == f"/console/tasks/{task_id}"
        page = (await supervisor.get(f"/console/tasks/{task_id}")).text
        assert f"You claimed task {task_id}." in page and "Give back to the pool" in page
        assert "Record your decision" in page and '<option value="approve">Approve</option>' in page

        commented = await supervisor.post(f"/console/tasks/{task_id}/comments", data={"text": "invoice matches"})
        assert commented.status_code == 303
        assert "invoice matches" in (await supervisor.get(f"/console/tasks/{task_id}")).text

        done = await supervisor.post(
            f"/console/tasks/{task_id}/complete", data={"outcome": "approve", "reason": "documents consistent"}
        )
        assert done.status_code == 303 and done.headers["location"] == f"/console/clearances/{mrn}"
        view = await wait_for(stack, mrn, completed)
        assert view["outcome"] == "released"
        page = (await supervisor.get(f"/console/clearances/{mrn}")).text
        assert "Released for export" in page and "documents consistent" in page
        assert f'href="/console/clearances/{mrn}/documents/release-notice"' in page
        notice = await supervisor.get(f"/console/clearances/{mrn}/documents/release-notice")
        assert notice.status_code == 200 and mrn in notice.text


async def test_inspection_findings_form_sends_structured_findings(console: Console) -> None:
    stack = console.stack
    reference = new_licence_reference()
    licence = await stack.http.post(
        "/v1/licences", json=licence_body(reference), headers=stack.auth("export_control_officer")
    )
    assert licence.status_code == 201
    mrn = await console.lodge(with_licence_document(example("dual-use-licensed"), reference))
    await wait_for(stack, mrn, awaiting("inspection_findings"))
    [task] = await open_tasks(stack, "inspector", mrn, "inspection_findings")

    async with console.signed_in("inspector") as inspector:
        page = (await inspector.get(f"/console/tasks/{task['id']}")).text
        assert "Counted quantity, item 1" in page and "40\u00a0pcs" in page  # declared quantity beside the input
        assert f"Licence {reference}" in page and "Remaining" in page  # the balance after depletion
        form = {
            "findings_form": "1",
            "outcome": "compliant",
            "reason": "seals intact, count matches",
            "seals_checked": "yes",
            "seal_numbers": "DE-4471, DE-4472",
            "count-0-seq": "1",
            "count-0-counted": "forty",
            "disc-0-item": "1",
            "disc-0-kind": "packaging",
            "disc-0-declared": "carton",
            "disc-0-found": "crate",
            "evidence": "photo-118\nphoto-119\n",
        }
        refused = await inspector.post(f"/console/tasks/{task['id']}/complete", data=form)
        assert refused.status_code == 422
        assert "findings.counts.0.counted" in alert(refused.text)
        assert '<a href="#count-0-counted">' in refused.text and 'value="forty"' in refused.text
        assert (await api_task(stack, task["id"]))["state"] == "open"

        done = await inspector.post(f"/console/tasks/{task['id']}/complete", data={**form, "count-0-counted": "40"})
        assert done.status_code == 303, alert(done.text)
    recorded = await api_task(stack, task["id"])
    assert recorded["findings"] == {
        "seals_checked": True,
        "seal_numbers": ["DE-4471", "DE-4472"],
        "counts": [{"item_sequence": 1, "counted": 40}],
        "discrepancies": [
            {"item_sequence": 1, "kind": "packaging", "declared": "carton", "found": "crate", "note": ""}
        ],
        "evidence": ["photo-118", "photo-119"],
    }


# --- clearances, SOPs, reports ---------------------------------------------------------------------------


async def test_clearance_search_by_mrn_and_by_filters(console: Console) -> None:
    stack = console.stack
    body = example("green-lane")
    body["goods_items"][0]["description"] = 'Valves <script>alert("x")</script>'
    mrn = await console.lodge(body)
    await wait_for(stack, mrn, completed)
    async with console.signed_in("customs_officer") as officer:
        found = await officer.get("/console/clearances", params={"q": mrn.lower()})
        assert found.status_code == 303 and found.headers["location"] == f"/console/clearances/{mrn}"
        page = await officer.get(found.headers["location"])
        assert page.status_code == 200
        for text in (mrn, "Timeline", "Decisions", "Goods items", "Screening", "Released for export"):
            assert text in page.text, text
        assert "<script>" not in page.text and "Valves &lt;script&gt;" in page.text  # what a declarant typed is text

        listed = await officer.get("/console/clearances", params={"lane": "green", "status": "completed"})
        assert listed.status_code == 200 and f'href="/console/clearances/{mrn}"' in listed.text
        not_mrn = await officer.get("/console/clearances", params={"q": "DE-EXP-123"})
        assert not_mrn.status_code == 422 and "is not an MRN" in alert(not_mrn.text)
        bad_cursor = await officer.get("/console/clearances", params={"cursor": "not-ours"})
        assert bad_cursor.status_code == 422 and "cursor is not one this service issued" in alert(bad_cursor.text)
        bad_status = await officer.get("/console/clearances", params={"status": "lost"})
        assert bad_status.status_code == 422 and "'lost' is not a status" in alert(bad_status.text)
        malformed = await officer.get("/console/clearances/NOT-AN-MRN")
        assert malformed.status_code == 422 and "not a valid MRN" in malformed.text
        assert "<html" in malformed.text and "application/json" not in malformed.headers["content-type"]

    async with console.signed_in("foreign_officer") as foreign:
        refused = await foreign.get(f"/console/clearances/{mrn}")
        assert refused.status_code == 403 and "another declarant or agency" in refused.text


async def test_sop_catalogue_links_to_rendered_documents(console: Console) -> None:
    async with console.signed_in("inspector") as officer:
        page = await officer.get("/console/sops")
        assert page.status_code == 200 and 'href="/console/sops/test-clearance/1"' in page.text
        document = await officer.get("/console/sops/test-clearance/1")
        assert document.status_code == 200 and "<svg" in document.text and "Joint inspection" in document.text
        assert (await officer.get("/console/sops/no-such-sop/1")).status_code == 404
        assert (await officer.get("/console/sops/test-clearance/first")).status_code == 422


async def test_stage_time_report_renders_a_chart(console: Console) -> None:
    stack = console.stack
    await wait_for(stack, await console.lodge(example("green-lane")), completed)
    async with console.signed_in("auditor") as auditor:
        page = await auditor.get("/console/reports/stage-times")
        assert page.status_code == 200
        assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"' in page.text
        assert 'class="chart-bar"' in page.text and 'class="chart-p90"' in page.text
        assert "All clearances" in page.text and "Green lane" in page.text and "90th percentile" in page.text
        narrowed = await auditor.get("/console/reports/stage-times", params={"sop": "test-clearance"})
        assert narrowed.status_code == 200
        bad = await auditor.get("/console/reports/stage-times", params={"from": "last week"})
        assert bad.status_code == 422 and "neither an RFC 3339 timestamp nor a date" in alert(bad.text)
        assert 'value="last week"' in bad.text and '<a href="#report-from">' in bad.text
    async with console.signed_in("inspector") as inspector:
        refused = await inspector.get("/console/reports/stage-times")
        assert refused.status_code == 403 and "this needs one of the roles" in refused.text


# --- officers' actions on a clearance --------------------------------------------------------------------


async def test_hold_reroute_and_schedule_from_the_clearance_page(console: Console) -> None:
    stack = console.stack
    mrn = await console.lodge(yellow_lane())
    await wait_for(stack, mrn, awaiting("approval"))
    page = f"/console/clearances/{mrn}"
    async with console.signed_in("customs_officer") as officer:
        shown = (await officer.get(page)).text
        assert '<label class="label" for="reroute-lane">New lane</label>' in shown and "Put on hold" in shown
        assert "Schedule the joint inspection" not in shown  # no inspection in progress

        empty = await officer.post(f"{page}/hold", data={"reason": " "})
        assert empty.status_code == 422 and "reason" in alert(empty.text)
        held = await officer.post(f"{page}/hold", data={"reason": "awaiting the end-user certificate"})
        assert held.status_code == 303
        shown = (await officer.get(page)).text
        assert "On hold" in shown and "awaiting the end-user certificate" in shown and "Release the hold" in shown

        lowered = await officer.post(f"{page}/lane", data={"lane": "green", "reason": "looks fine"})
        assert lowered.status_code == 403 and "only a supervisor" in alert(lowered.text)
        assert 'id="reroute-reason"' in lowered.text and "looks fine" in lowered.text  # input kept
        raised = await officer.post(f"{page}/lane", data={"lane": "red", "reason": "seal numbers do not match"})
        assert raised.status_code == 303
        released = await officer.post(f"{page}/hold/release", data={"reason": "certificate received"})
        assert released.status_code == 303

    await wait_for(stack, mrn, awaiting("inspection_findings"))
    async with console.signed_in("inspector") as inspector:
        shown = (await inspector.get(page)).text
        assert "Schedule the joint inspection" in shown and 'value="export_control"' in shown
        past = await inspector.post(
            f"{page}/inspection/schedule", data={"at": "2020-05-01T10:00", "place": "Bay 2", "agencies": ["customs"]}
        )
        assert past.status_code == 422 and "future" in alert(past.text)
        assert 'href="#schedule-at"' in past.text and 'value="Bay 2"' in past.text
        booked = await inspector.post(
            f"{page}/inspection/schedule",
            data={"at": "2099-05-01T10:00", "place": "Bay 2", "agencies": ["customs", "export_control"]},
        )
        assert booked.status_code == 303, booked.text
        shown = (await inspector.get(page)).text
        assert "Bay 2" in shown and "2099-05-01" in shown

    view = (await stack.http.get(f"/v1/clearances/{mrn}", headers=stack.auth("auditor"))).json()
    assert view["lane"] == "red" and view["hold"] is None
    assert view["inspection_schedule"]["at"].startswith("2099-05-01T10:00:00")
    kinds = [(d["kind"], d["outcome"]) for d in view["decisions"]]
    assert ("hold", "placed") in kinds and ("hold", "released") in kinds and ("lane", "red") in kinds
    assert [k for k, _ in kinds].count("hold") == 2  # the refusals recorded nothing
