"""The console in a real browser (headless Chromium driven by Playwright), served by uvicorn on a loopback port, on
the real stack: an officer who has never seen the product signs in, finds the overdue joint inspection, claims it
and records findings; the export-control officer (another agency) records theirs from its own inbox, and neither
sees the other's task; a supervisor approves; the clearance is released once both agencies may proceed (each
agency's standing on the clearance page) and the agency's webhook receiver gets the signed outcome. Refusals show
in the page.

Chromium is the system's (`/usr/bin/chromium`), never a downloaded one. Without it the test skips, unless
REQUIRE_BROWSER=1 (CI), where a missing browser is a failure."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.main import create_app
from tests.conftest import Stack
from tests.e2e import (
    awaiting,
    completed,
    finish_task,
    licence_body,
    new_licence_reference,
    open_tasks,
    wait_for,
    with_licence_document,
)
from tests.support import example, served, sop_data
from tests.webhook_receiver import Receiver, verify

pytestmark = pytest.mark.e2e
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECRET = "console-browser-webhook-secret"


def require_browser() -> None:
    """Skip without Chromium or Playwright, except where REQUIRE_BROWSER=1 says the browser test must run."""
    reason = None
    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium; `make test` does it when root)"
    else:
        try:
            import playwright.async_api  # noqa: F401
        except ImportError:
            reason = "the playwright package is not installed (pip install -e '.[dev]')"
    if reason is None:
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


# --- the console on a real port ----------------------------------------------------------------------------




@pytest.fixture
async def console_url(stack: Stack) -> AsyncIterator[str]:
    """The same worker and database; an app whose SOP makes the joint inspection due in two seconds (escalating
    to the duty chief only after a day), so its tasks become overdue on the workflow's durable timer."""
    name = f"browser-{uuid.uuid4().hex[:6]}"
    data = sop_data(name=name)
    inspection = next(s for s in data["steps"] if s["kind"] == "inspection")
    inspection["due"] = "PT2S"
    inspection["escalation"] = {"after": "P1D", "to": "duty_chief"}
    author = {**stack.auth("sop_author"), "Content-Type": "application/json"}
    assert (await stack.http.post("/v1/sops", content=json.dumps(data), headers=author)).status_code == 201
    app = create_app(stack.settings.model_copy(update={"sop_name": name}), temporal=stack.client, db=stack.db)
    async with served(app) as url:
        yield url


async def until_true(check: Any, what: str, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        await asyncio.sleep(0.1)
    return result


# --- the scenario ------------------------------------------------------------------------------------------


async def test_an_officer_clears_an_overdue_red_lane_declaration_in_the_browser(
    stack: Stack, console_url: str, receiver: Receiver
) -> None:
    require_browser()
    from playwright.async_api import Page, async_playwright, expect

    officer = stack.auth("customs_officer")
    sub = await stack.http.post(
        "/v1/webhooks", json={"url": receiver.url, "secret": SECRET, "events": ["clearance.outcome"]}, headers=officer
    )
    assert sub.status_code == 201, sub.text
    try:
        # A licensed dual-use export, lodged over real HTTP: red lane, joint inspection by customs and export control.
        reference = new_licence_reference()
        licence = await stack.http.post(
            "/v1/licences", json=licence_body(reference), headers=stack.auth("export_control_officer")
        )
        assert licence.status_code == 201, licence.text
        async with httpx.AsyncClient(base_url=console_url) as api:
            lodged = await api.post(
                "/v1/declarations",
                json=with_licence_document(example("dual-use-licensed"), reference),
                headers=stack.auth("declarant"),
            )
        assert lodged.status_code == 202, lodged.text
        mrn = lodged.json()["mrn"]
        await wait_for(stack, mrn, awaiting("inspection_findings"))
        [customs] = await open_tasks(stack, "inspector", mrn, "inspection_findings")
        [export_control] = await open_tasks(stack, "export_control_officer", mrn, "inspection_findings")

        async def overdue() -> bool:
            task = (await stack.http.get(f"/v1/tasks/{customs['id']}", headers=stack.auth("inspector"))).json()
            return bool(task["overdue"])

        await until_true(overdue, "the inspection becoming overdue")

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = await (await browser.new_context()).new_page()
                page.set_default_timeout(10_000)

                async def sign_in(who: str, name: str) -> None:
                    await page.goto(f"{console_url}/console")
                    await expect(page.get_by_role("heading", name="Sign in to the clearance console")).to_be_visible()
                    await page.get_by_label("Access token").fill(stack.tokens[who])
                    await page.get_by_role("button", name="Sign in").click()
                    await expect(page.get_by_role("banner")).to_contain_text(name)

                async def sign_out() -> None:
                    await page.get_by_role("button", name="Sign out").click()
                    await expect(page.get_by_role("status")).to_have_text("You have signed out.")

                async def record_findings(page: Page, counted: str) -> None:
                    await page.get_by_label("Outcome").select_option("compliant")
                    await page.get_by_label("Reason", exact=True).fill("Seals intact, goods as declared")
                    await page.get_by_role("radio", name="Yes").check()
                    await page.get_by_label("Seal numbers").fill("DE-4471")
                    await page.get_by_label("Counted quantity, item 1").fill(counted)
                    await page.get_by_label("Evidence references").fill("photo-118")
                    await page.get_by_role("button", name="Complete task").click()

                # Unknown tokens are refused on the page; the form works from the keyboard alone.
                await page.goto(f"{console_url}/console")
                await page.keyboard.press("Tab")
                await expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
                await page.get_by_label("Access token").fill("not-a-token")
                await page.keyboard.press("Enter")
                await expect(page.get_by_role("alert")).to_contain_text("not recognised")

                # The customs inspector (a supervisor too) finds the overdue task in the inbox, claims it, records
                # findings; customs' inbox does not list the export-control authority's task.
                await sign_in("inspecting_supervisor", "Inspecting Supervisor")
                await expect(page.get_by_role("heading", name="Inbox", exact=True)).to_be_visible()
                await page.get_by_label("Overdue only").check()
                await page.get_by_role("button", name="Apply filters").click()
                row = page.get_by_role("row").filter(has_text=customs["id"])
                await expect(row).to_contain_text("Overdue")
                await expect(row).to_contain_text(mrn)
                await expect(page.get_by_role("link", name=export_control["id"])).to_have_count(0)
                await row.get_by_role("link", name=customs["id"]).click()
                await expect(page.get_by_role("heading", level=1)).to_contain_text("Customs physical inspection")
                await page.get_by_role("button", name="Claim task").click()
                await expect(page.get_by_role("status")).to_have_text(f"You claimed task {customs['id']}.")

                await record_findings(page, "forty")  # refused by the workflow's validator, with the field
                await expect(page.get_by_role("alert")).to_contain_text("findings.counts.0.counted")
                await expect(page.get_by_label("Reason", exact=True)).to_have_value("Seals intact, goods as declared")
                await expect(page.get_by_label("Counted quantity, item 1")).to_have_value("forty")
                await record_findings(page, "40")
                await expect(page.get_by_role("status")).to_contain_text(f"Task {customs['id']} completed: Compliant.")
                await sign_out()

                # The export-control officer (DEMO-EXPORT-CONTROL) records the authority's findings from its own
                # inbox, which does not list customs' task (nor does its page exist for it).
                await sign_in("export_control_officer", "Export Control Officer")
                await page.get_by_label("Kind").select_option("inspection_findings")
                await page.get_by_role("button", name="Apply filters").click()
                await expect(page.get_by_role("link", name=customs["id"])).to_have_count(0)
                await page.get_by_role("link", name=export_control["id"]).click()
                await expect(page.get_by_role("heading", level=1)).to_contain_text("Export-control verification")
                await page.get_by_role("button", name="Claim task").click()
                await record_findings(page, "40")
                await expect(page.get_by_role("status")).to_contain_text("completed: Compliant")
                other = await page.goto(f"{console_url}/console/tasks/{customs['id']}")
                assert other is not None and other.status == 404
                # The clearance page shows each agency's standing: the authority may proceed, customs not yet.
                await wait_for(stack, mrn, awaiting("approval"))
                await page.goto(f"{console_url}/console/clearances/{mrn}")
                standing = page.locator("#agency-standing")
                await expect(standing.locator('tr[data-agency="DEMO-EXPORT-CONTROL"]')).to_contain_text("May proceed")
                await expect(standing.locator('tr[data-agency="DEMO-CUSTOMS"]')).to_contain_text("Pending")
                await sign_out()

                # The inspecting supervisor may not approve the clearance it inspected (four-eyes): the page says
                # why, nothing changes.
                [approval] = await open_tasks(stack, "supervisor", mrn, "approval")
                await sign_in("inspecting_supervisor", "Inspecting Supervisor")
                await page.get_by_role("link", name=approval["id"]).click()
                await page.get_by_role("button", name="Claim task").click()
                await expect(page.get_by_role("alert")).to_contain_text("four-eyes")
                await expect(page.get_by_role("alert")).to_contain_text("Nothing was recorded")
                await sign_out()

                # The supervisor approves; the clearance page shows it released.
                await sign_in("supervisor", "Supervisor")
                await page.get_by_role("link", name=approval["id"]).click()
                await page.get_by_role("button", name="Claim task").click()
                await page.get_by_label("Outcome").select_option("approve")
                await page.get_by_label("Reason", exact=True).fill("Licence covers the goods; inspection compliant")
                await page.get_by_role("button", name="Complete task").click()
                await expect(page.get_by_role("heading", level=1)).to_contain_text(mrn)

                async def released() -> bool:
                    if await page.get_by_text("Released for export").count():
                        return True
                    await page.reload()
                    return False

                await until_true(released, "the clearance page showing the release")
                # released only now that both agencies may proceed
                standing = page.locator("#agency-standing")
                for agency in ("DEMO-CUSTOMS", "DEMO-EXPORT-CONTROL"):
                    await expect(standing.locator(f'tr[data-agency="{agency}"]')).to_contain_text("May proceed")
                await expect(page.get_by_role("heading", name="Joint inspection")).to_be_visible()
                await expect(page.get_by_role("heading", name=f"Licence {reference}")).to_be_visible()
            finally:
                await browser.close()

        # The agency's endpoint heard of it, signed with the subscription's secret.
        headers, body = await until_true(_async(lambda: receiver.outcome(mrn)), "the clearance.outcome webhook")
        assert verify(SECRET, headers, body) is None
        event = json.loads(body)
        assert (event["outcome"], event["lane"], event["status"]) == ("released", "red", "completed")
    finally:
        await stack.http.delete(f"/v1/webhooks/{sub.json()['id']}", headers=officer)


def _async(check: Any) -> Any:
    async def run() -> Any:
        return check()

    return run


# --- layout: every page and document at a desktop and a phone width ------------------------------------------

WIDTHS = {"desktop": 1280, "phone": 390}
OVERFLOW = """() => {
  const root = document.documentElement;
  const problems = [];
  if (root.scrollWidth > root.clientWidth) problems.push(`page ${root.scrollWidth} > ${root.clientWidth} px`);
  for (const table of document.querySelectorAll("table")) {
    const box = table.parentElement;
    if (table.offsetParent === null) continue;  // hidden (a closed <details>)
    if (table.scrollWidth > box.clientWidth + 1 || table.getBoundingClientRect().right > root.clientWidth + 1) {
      const caption = table.querySelector("caption, thead")?.textContent.trim().slice(0, 60);
      problems.push(`table "${caption}" ${table.scrollWidth} px in ${box.clientWidth} px`);
    }
  }
  return problems;
}"""


async def _pages_of_every_kind(stack: Stack, console_url: str) -> dict[str, str]:
    """Clearances that end every way (and one waiting on a screening review), and the console URLs to look at."""
    async with httpx.AsyncClient(base_url=console_url) as api:

        async def lodge(body: dict[str, Any]) -> str:
            response = await api.post("/v1/declarations", json=body, headers=stack.auth("declarant"))
            assert response.status_code == 202, response.text
            return str(response.json()["mrn"])

        reference = new_licence_reference()
        licence = await api.post(
            "/v1/licences", json=licence_body(reference), headers=stack.auth("export_control_officer")
        )
        assert licence.status_code == 201, licence.text
        referred = await lodge(with_licence_document(example("dual-use-licensed"), reference))
        await wait_for(stack, referred, awaiting("inspection_findings"))
        [customs] = await open_tasks(stack, "inspector", referred, "inspection_findings")
        counts = {"counts": [{"item_sequence": 1, "counted": 2}], "evidence": ["photo-118"]}
        await finish_task(
            stack, "inspector", customs["id"], "compliant", "Counted on the pallet", counts, confirm_deviation=True
        )
        [export_control] = await open_tasks(stack, "export_control_officer", referred, "inspection_findings")
        await finish_task(
            stack, "export_control_officer", export_control["id"], "compliant", "Serials match", {"seals_checked": True}
        )

        missing = example("dual-use-licensed")
        missing["goods_items"][0]["documents"] = []
        missing["exporter"]["eori"] = "DE000000000000404"
        not_released = await lodge(missing)

        invalidated = await lodge(with_licence_document(example("dual-use-licensed"), reference))
        await wait_for(stack, invalidated, awaiting("inspection_findings"))
        cancelled = await api.post(
            f"/v1/clearances/{invalidated}/invalidation",
            json={"reason": "Order cancelled"},
            headers=stack.auth("declarant"),
        )
        assert cancelled.status_code == 200, cancelled.text

        review_body = example("green-lane", country_of_destination="RU")
        review_body["consignee"] = {"name": "Volkov Dinamika OOO", "address": {"city": "Moscow", "country": "RU"}}
        reviewing = await lodge(review_body)
    await wait_for(stack, reviewing, awaiting("screening_review"))
    [review] = await open_tasks(stack, "export_control_officer", reviewing, "screening_review")
    for mrn in (referred, not_released, invalidated):
        await wait_for(stack, mrn, completed)
    sop = (await stack.http.get(f"/v1/clearances/{referred}", headers=stack.auth("customs_officer"))).json()["sop"]
    v3 = f"layout-v3-{uuid.uuid4().hex[:6]}"  # v3 has reason codes (INS_WITHIN_TOLERANCE must not break mid-word)
    author = {**stack.auth("sop_author"), "Content-Type": "application/json"}
    assert (
        await stack.http.post("/v1/sops", content=json.dumps(sop_data(3, name=v3)), headers=author)
    ).status_code == 201
    return {
        "inbox": "/console",
        "screening-review": f"/console/tasks/{review['id']}",
        "inspection-task": f"/console/tasks/{customs['id']}",
        "clearances": "/console/clearances",
        "clearance-referred": f"/console/clearances/{referred}",
        "clearance-invalidated": f"/console/clearances/{invalidated}",
        "clearance-reviewing": f"/console/clearances/{reviewing}",
        "referral-notice": f"/console/clearances/{referred}/documents/referral-notice",
        "not-released-notice": f"/console/clearances/{not_released}/documents/not-released-notice",
        "invalidation-notice": f"/console/clearances/{invalidated}/documents/invalidation-notice",
        "sops": "/console/sops",
        "sop-document": f"/console/sops/{sop['name']}/{sop['version']}",
        "sop-v3-document": f"/console/sops/{v3}/3",
        "sop-standalone": f"/console/sops/{sop['name']}/{sop['version']}/document",
        "stage-times": "/console/reports/stage-times",
    }


async def test_no_page_or_document_is_clipped_at_desktop_or_phone_width(
    stack: Stack, console_url: str, tmp_path: Path
) -> None:
    """Every console page and document, screenshotted at 1280 px and 390 px (kept in SCREENSHOT_DIR if set):
    the page never scrolls sideways and no table is wider than its container."""
    require_browser()
    from playwright.async_api import async_playwright

    pages = await _pages_of_every_kind(stack, console_url)
    shots = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    problems: dict[str, list[str]] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for label, width in WIDTHS.items():
                context = await browser.new_context(viewport={"width": width, "height": 900})
                page = await context.new_page()
                page.set_default_timeout(10_000)
                # the screening review is the export-control authority's task: its officer's page
                review = {"screening-review": pages.pop("screening-review")}
                signed_in = (
                    ("multi_officer", {"login": "/console/login", **pages}),
                    ("export_control_officer", review),
                )
                for who, shown in signed_in:
                    await page.context.clear_cookies()
                    await page.goto(f"{console_url}/console/login")
                    await page.get_by_label("Access token").fill(stack.tokens[who])
                    await page.get_by_role("button", name="Sign in").click()
                    await page.wait_for_url(f"{console_url}/console")
                    await _look_at(page, console_url, shots, label, width, shown, problems)
                pages.update(review)
                await context.close()
        finally:
            await browser.close()
    assert not problems, f"clipped or overflowing (screenshots in {shots}): {json.dumps(problems, indent=1)}"


async def _look_at(
    page: Any, console_url: str, shots: Path, label: str, width: int, pages: dict[str, str], problems: dict[str, Any]
) -> None:
    """Screenshot each page and note whatever overflows."""
    for name, path in pages.items():
        response = await page.goto(f"{console_url}{path}")
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        await page.screenshot(path=str(shots / f"{name}-{label}.png"), full_page=True)
        found = await page.evaluate(OVERFLOW)
        if found:
            problems[f"{name} at {width} px ({path})"] = found
