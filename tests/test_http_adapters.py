"""The HTTP adapters against a real service speaking their protocol (this app, over ASGI): a clearance whose
worker reaches the licence registry and the screening service only over HTTP behaves like the embedded one."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from activities.clearance import ClearanceActivities
from adapters.licences import HttpLicenceRegistry
from adapters.screening import HttpScreeningService
from domain.declaration import Money, Quantity
from domain.licence import DepletionRequest, RestoreRequest
from domain.mrn import make_mrn
from tests.conftest import Stack
from tests.e2e import (
    CHECKED,
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
from tests.support import example
from worker import TUNING, WORKFLOWS, workflow_runner

pytestmark = pytest.mark.e2e


def transport(stack: Stack) -> httpx.ASGITransport:
    return stack.http._transport  # type: ignore[return-value]  # the app under test, in process


@pytest.fixture
async def http_adapters(stack: Stack) -> AsyncIterator[tuple[HttpLicenceRegistry, HttpScreeningService]]:
    # The customs engine's own principal speaks the registry protocol: the registry checks each MRN is its clearance.
    registry = HttpLicenceRegistry("http://test", stack.tokens["admin"], 5.0, transport(stack))
    screening = HttpScreeningService("http://test", stack.tokens["customs_officer"], 5.0, transport(stack))
    yield registry, screening
    await registry.aclose()
    await screening.aclose()


def depletion(mrn: str, reference: str, qty: str = "10") -> DepletionRequest:
    return DepletionRequest(
        mrn=mrn,
        item_sequence=1,
        holder_eori="DE555000111222333",
        destination="JP",
        control_code="6A003",
        commodity_code="90138000",
        quantity=Quantity(value=Decimal(qty), unit="pcs"),
        value=Money(amount=Decimal("100.00"), currency="EUR"),
        on=date(2026, 6, 1),
        licence_reference=reference,
    )


async def test_http_licence_registry_depletes_once_and_restores(
    stack: Stack, http_adapters: tuple[HttpLicenceRegistry, HttpScreeningService]
) -> None:
    registry, _ = http_adapters
    reference = new_licence_reference()
    assert (
        await stack.http.post(
            "/v1/licences", json=licence_body(reference), headers=stack.auth("export_control_officer")
        )
    ).status_code == 201
    # clearances of the calling agency (green lane: they deplete nothing themselves)
    mrn, other = [(await lodge(stack, example("green-lane")))["mrn"] for _ in range(2)]
    first = await registry.deplete(depletion(mrn, reference))
    again = await registry.deplete(depletion(mrn, reference))
    assert first.covered and first == again
    refused = await registry.deplete(depletion(other, reference, qty="500"))
    assert not refused.covered and "too small" in (refused.reason or "")
    with pytest.raises(ApplicationError) as invented:  # an MRN that is no clearance of the caller: nothing taken
        await registry.deplete(
            depletion(make_mrn(year=2026, country="DE", key=uuid.uuid4().hex[:13].upper()), reference)
        )
    assert invented.value.non_retryable and "404" in invented.value.message
    assert await registry.restore(RestoreRequest(mrn=mrn, reason="test")) == 1
    licence = (await stack.http.get(f"/v1/licences/{reference}", headers=stack.auth("auditor"))).json()
    assert licence["items"][0]["remaining"]["quantity"]["value"] == "100.000"


async def test_http_screening_service_finds_listed_parties(
    http_adapters: tuple[HttpLicenceRegistry, HttpScreeningService],
) -> None:
    _, screening = http_adapters
    [best, *_] = await screening.screen("Volkov Dinamika OOO", "RU", min_score=88)
    assert best.entry_id == "demo-0001" and best.score >= 88
    assert await screening.screen("Kessler Feinmechanik GmbH", "DE", min_score=88) == []


async def test_http_adapter_refusals_are_typed_non_retryable_errors(stack: Stack) -> None:
    unauthorised = HttpLicenceRegistry("http://test", "not-a-token", 5.0, transport(stack))
    with pytest.raises(ApplicationError) as refused:
        await unauthorised.deplete(depletion(make_mrn(year=2026, country="DE", key="Y" * 13), "NONE-1"))
    assert refused.value.type == "AgencyRejected" and refused.value.non_retryable
    assert refused.value.message.startswith("licence registry refused: 401")
    await unauthorised.aclose()


async def test_a_clearance_runs_with_both_agencies_over_http(
    stack: Stack, http_adapters: tuple[HttpLicenceRegistry, HttpScreeningService]
) -> None:
    registry, screening = http_adapters
    task_queue = f"http-{uuid.uuid4().hex[:6]}"
    activities = ClearanceActivities(db=stack.db, licences=registry, screening=screening)
    api = stack.settings.model_copy(update={"temporal_task_queue": task_queue})
    from api.main import create_app

    app = create_app(api, temporal=stack.client, db=stack.db)
    async with (
        Worker(
            stack.client,
            task_queue=task_queue,
            workflows=list(WORKFLOWS),
            activities=activities.all(),
            workflow_runner=workflow_runner(),
            **TUNING,
        ),  # type: ignore[arg-type]
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        remote = Stack(http=http, client=stack.client, db=stack.db, settings=api, tokens=stack.tokens)
        reference = new_licence_reference()
        assert (
            await http.post("/v1/licences", json=licence_body(reference), headers=remote.auth("export_control_officer"))
        ).status_code == 201
        mrn = (await lodge(remote, with_licence_document(example("dual-use-licensed"), reference)))["mrn"]
        await wait_for(remote, mrn, awaiting("inspection_findings"))
        # each agency completes its own part: customs the physical inspection, DEMO-EXPORT-CONTROL the verification
        for who, role in (("inspector", "inspector"), ("export_control_officer", "export_control_officer")):
            [task] = [t for t in await open_tasks(remote, who, mrn, "inspection_findings") if t["role"] == role]
            await finish_task(remote, who, task["id"], "compliant", "ok", CHECKED)
        await wait_for(remote, mrn, awaiting("approval"))
        [approval] = await open_tasks(remote, "supervisor", mrn, "approval")
        await finish_task(remote, "supervisor", approval["id"], "approve", "ok")
        view = await wait_for(remote, mrn, completed)
    assert view["outcome"] == "released" and view["licences"]["items"][0]["licence_reference"] == reference
    licence = (await stack.http.get(f"/v1/licences/{reference}", headers=stack.auth("auditor"))).json()
    assert [d["mrn"] for d in licence["depletions"]] == [mrn]
