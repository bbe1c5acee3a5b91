"""SOP versions are pinned per clearance: publishing v2 changes new clearances only."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from api.main import create_app
from tests.conftest import Stack
from tests.e2e import awaiting, completed, finish_task, lodge, open_tasks, wait_for
from tests.support import example, sop_data

pytestmark = pytest.mark.e2e


@pytest.fixture
async def pinning(stack: Stack) -> AsyncIterator[tuple[Stack, str]]:
    """The same worker and database, with an API whose SOP is a fresh name that has no version yet."""
    name = f"pinning-{uuid.uuid4().hex[:6]}"
    settings = stack.settings.model_copy(update={"sop_name": name})
    app = create_app(settings, temporal=stack.client, db=stack.db)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        yield Stack(http=http, client=stack.client, db=stack.db, settings=settings, tokens=stack.tokens), name


def high_value_with_a_possible_match() -> dict[str, object]:
    body = example("green-lane", country_of_destination="AE")
    body["consignee"] = {"name": "Golden Crescent Trading", "address": {"city": "Dubai", "country": "AE"}}
    body["goods_items"][0]["statistical_value"]["amount"] = "60000.00"
    return body


async def test_a_clearance_started_on_v1_finishes_on_v1_after_v2_is_published(pinning: tuple[Stack, str]) -> None:
    stack, name = pinning
    author = {**stack.auth("sop_author"), "Content-Type": "application/json"}
    no_sop = await stack.http.post("/v1/declarations", json=example("green-lane"), headers=stack.auth("declarant"))
    assert no_sop.status_code == 503

    assert (
        await stack.http.post("/v1/sops", content=json.dumps(sop_data(1, name=name)), headers=author)
    ).status_code == 201
    first = await lodge(stack, high_value_with_a_possible_match())
    assert first["sop"] == {"name": name, "version": 1}
    await wait_for(stack, first["mrn"], awaiting("screening_review"))

    assert (
        await stack.http.post("/v1/sops", content=json.dumps(sop_data(2, name=name)), headers=author)
    ).status_code == 201
    second = await lodge(stack, high_value_with_a_possible_match())
    assert second["sop"] == {"name": name, "version": 2}
    await wait_for(stack, second["mrn"], awaiting("screening_review"))

    for mrn in (first["mrn"], second["mrn"]):
        [review] = await open_tasks(stack, "export_control_officer", mrn, "screening_review")
        await finish_task(stack, "export_control_officer", review["id"], "false_positive", "different company")

    v1 = await wait_for(stack, first["mrn"], completed)
    assert (v1["sop"]["version"], v1["lane"], v1["outcome"]) == (1, "green", "released")
    v2 = await wait_for(stack, second["mrn"], awaiting("approval"))
    assert (v2["sop"]["version"], v2["lane"]) == (2, "yellow")
    assert "50 000" in next(d["reason"] for d in v2["decisions"] if d["kind"] == "lane")
