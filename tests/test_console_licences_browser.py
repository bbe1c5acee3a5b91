"""The export-control authority's licence page in a real browser (system Chromium, Playwright), on the real stack:
its officer finds the licence a clearance depleted, reads the consumption ledger with the balance after the
depletion, suspends the licence with a reason, and a declaration lodged next is refused its licence; a customs
officer is not offered the page and cannot read the ledger."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from api.main import create_app
from tests.conftest import Stack
from tests.e2e import clearance, licence_body, lodge, new_licence_reference, wait_for, with_licence_document
from tests.support import example
from tests.test_console_browser import CHROMIUM, CHROMIUM_ARGS, require_browser, served

pytestmark = pytest.mark.e2e


@pytest.fixture
async def console_url(stack: Stack) -> AsyncIterator[str]:
    app = create_app(stack.settings, temporal=stack.client, db=stack.db)
    async with served(app) as url:
        yield url


async def _checked(stack: Stack, reference: str) -> dict[str, object]:
    mrn = (await lodge(stack, with_licence_document(example("dual-use-licensed"), reference)))["mrn"]
    return await wait_for(stack, mrn, lambda v: v.get("licences") is not None)


async def test_the_authority_reads_the_ledger_and_suspends_a_licence_in_the_browser(
    stack: Stack, console_url: str
) -> None:
    require_browser()
    from playwright.async_api import async_playwright, expect

    reference = new_licence_reference()
    created = await stack.http.post(
        "/v1/licences", json=licence_body(reference), headers=stack.auth("export_control_officer")
    )
    assert created.status_code == 201, created.text
    first = await _checked(stack, reference)
    assert first["licences"]["items"][0]["status"] == "covered"  # type: ignore[index]

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await (await browser.new_context()).new_page()
            page.set_default_timeout(10_000)

            async def sign_in(who: str, name: str) -> None:
                await page.goto(f"{console_url}/console")
                await page.get_by_label("Access token").fill(stack.tokens[who])
                await page.get_by_role("button", name="Sign in").click()
                await expect(page.get_by_role("banner")).to_contain_text(name)

            await sign_in("export_control_officer", "Export Control Officer")
            await page.get_by_role("navigation").get_by_role("link", name="Licences").click()
            await expect(page.get_by_role("heading", level=1)).to_have_text("Licences issued by DEMO-EXPORT-CONTROL")
            row = page.get_by_role("row").filter(has_text=reference)
            await expect(row).to_contain_text("active")
            await row.get_by_role("link", name=reference).click()

            await expect(page.get_by_role("heading", level=1)).to_have_text(f"Licence {reference}")
            ledger = page.locator("#ledger")
            entry = ledger.get_by_role("row").filter(has_text=str(first["mrn"]))
            await expect(entry).to_contain_text("depletion")
            await expect(entry).to_contain_text("60.000 pcs")  # 100 licensed, 40 taken
            await expect(page.locator("#licence-lines")).to_contain_text("60.000 pcs")

            await page.get_by_label("Reason to suspend").fill("End-user under investigation")
            await page.get_by_role("button", name="Suspend").click()
            await expect(page.get_by_role("status")).to_contain_text(f"Suspended licence {reference}")
            await expect(page.locator("#licence-state")).to_contain_text("suspended: End-user under investigation")
            await expect(page.get_by_role("button", name="Reinstate")).to_be_visible()

            refused = await _checked(stack, reference)
            item = refused["licences"]["items"][0]  # type: ignore[index]
            assert item["status"] == "no_licence" and "suspended" in item["reason"]
            await page.reload()
            await expect(ledger.get_by_role("row").filter(has_text=str(refused["mrn"]))).to_have_count(0)

            await page.get_by_role("button", name="Sign out").click()
            await sign_in("customs_officer", "Customs Officer")
            await expect(page.get_by_role("navigation").get_by_role("link", name="Licences")).to_have_count(0)
            response = await page.goto(f"{console_url}/console/licences/{reference}")
            assert response is not None and response.status == 403
        finally:
            await browser.close()
    assert (await clearance(stack, str(refused["mrn"]), "declarant"))["licences"]["items"][0]["status"] == "no_licence"
