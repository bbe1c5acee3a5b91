"""Partner exchange in the console, in a real browser (system Chromium via Playwright) on the real stack: after a
release to Canada, the partner customs officer signs in, finds the received export notification with its verified
signature, and returns a control result; the exporting customs officer sees it arrive on the same page."""

from __future__ import annotations

import uuid

import pytest

from api.main import create_app
from tests.conftest import Stack
from tests.e2e import completed, lodge, wait_for
from tests.support import example
from tests.test_console_browser import CHROMIUM, CHROMIUM_ARGS, require_browser, served, until_true

pytestmark = pytest.mark.e2e


async def test_a_partner_officer_returns_a_control_result_in_the_browser(stack: Stack) -> None:
    require_browser()
    from playwright.async_api import async_playwright, expect

    mrn = (await lodge(stack, example("green-lane", lrn=f"BRW-{uuid.uuid4().hex[:8]}")))["mrn"]
    await wait_for(stack, mrn, completed)
    partner = stack.auth("partner_customs_officer")

    async def received() -> str | None:
        found = (await stack.http.get("/v1/exchange/messages", params={"mrn": mrn}, headers=partner)).json()["items"]
        return next((m["id"] for m in found if m["kind"] == "export_notification"), None)

    message_id = await until_true(received, "the notification reaching the partner")
    app = create_app(stack.settings, temporal=stack.client, db=stack.db)
    async with served(app) as url, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await (await browser.new_context()).new_page()
            page.set_default_timeout(10_000)

            async def sign_in(who: str, name: str) -> None:
                await page.goto(f"{url}/console")
                await page.get_by_label("Access token").fill(stack.tokens[who])
                await page.get_by_role("button", name="Sign in").click()
                await expect(page.get_by_role("banner")).to_contain_text(name)

            # the partner's officer lands on the exchange page: nothing of the exporting side's clearances
            await sign_in("partner_customs_officer", "Partner Customs Officer")
            await expect(page.get_by_role("heading", name="Partner exchange")).to_be_visible()
            await expect(page.get_by_role("link", name="Clearances")).to_have_count(0)
            row = page.locator(f"#message-{message_id}")
            await expect(row).to_contain_text("export notification (received)")
            await expect(row).to_contain_text("verified")
            await expect(row).to_contain_text("Maple Workshop Supplies Inc.")
            await row.get_by_role("radio", name="Irregularity", exact=True).check()
            await row.get_by_label("Note (optional)").fill("3 cartons missing on arrival")
            await row.get_by_role("button", name="Send control result").click()
            await expect(page.get_by_role("status")).to_contain_text("Control result sent: an irregularity")
            await expect(page.locator(f"#message-{message_id}").get_by_role("button")).to_have_count(0)

            # the exporting customs officer sees the result arrive, verified
            await page.get_by_role("button", name="Sign out").click()
            await sign_in("customs_officer", "Customs Officer")
            await page.goto(f"{url}/console/exchange?kind=control_result")

            async def arrived() -> bool:
                await page.reload()
                return (
                    await page.locator("tr[data-kind=control_result][data-direction=in]").filter(has_text=mrn).count()
                    == 1
                )

            await until_true(arrived, "the control result reaching customs")
            result = page.locator("tr[data-kind=control_result][data-direction=in]").filter(has_text=mrn)
            await expect(result).to_contain_text("irregularity: 3 cartons missing on arrival")
            await expect(result).to_contain_text("verified")
        finally:
            await browser.close()
    view = (await stack.http.get(f"/v1/clearances/{mrn}", headers=stack.auth("customs_officer"))).json()
    assert any(m["kind"] == "control_result" and m.get("result") == "irregularity" for m in view["exchange"])
