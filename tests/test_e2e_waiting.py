"""Reading and waiting without asking the workflow: the read model exists from acceptance on, `Prefer: wait=N`
on lodging and `?wait=N` on reading answer once the clearance settles, woken by one watcher per API process."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import delete
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.deps import Services
from api.main import create_app
from api.waiting import wait_preference
from store import clearances as clearance_store
from store.models import ClearanceRecord
from tests.conftest import Stack
from tests.support import example
from worker import build_worker

pytestmark = pytest.mark.e2e


def test_wait_preference_follows_rfc_7240() -> None:
    assert wait_preference(["wait=5"]) == 5
    assert wait_preference(["respond-async, wait=12"]) == 12
    assert wait_preference(['WAIT = "7"']) == 7
    assert wait_preference(["handling=lenient", "wait=2.5;foo=bar"]) == 2.5
    assert wait_preference(["wait=100"]) == 30  # capped
    assert wait_preference(["wait=abc"]) is None  # not understood: ignored
    assert wait_preference(["wait=-3", "return=minimal"]) is None
    assert wait_preference([]) is None


@dataclass
class Idle:
    """An API whose task queue no worker polls (yet): its clearances stay as the API wrote them."""

    http: httpx.AsyncClient
    services: Services
    stack: Stack
    env: WorkflowEnvironment

    async def lodge(self, body: dict[str, object], headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.post(
            "/v1/declarations", json=body, headers={**self.stack.auth("declarant"), **(headers or {})}
        )

    def worker(self) -> Worker:
        return build_worker(self.env.client, self.services.settings, self.stack.db)


@pytest.fixture
async def idle(stack: Stack, temporal_env: WorkflowEnvironment) -> AsyncIterator[Idle]:
    settings = stack.settings.model_copy(update={"temporal_task_queue": f"idle-{uuid.uuid4().hex[:8]}"})
    app = create_app(settings, temporal=temporal_env.client, db=stack.db)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        yield Idle(http=http, services=app.state.services, stack=stack, env=temporal_env)


async def test_the_read_model_exists_from_acceptance_and_reads_never_ask_the_workflow(idle: Idle) -> None:
    accepted = await idle.lodge(example("green-lane"))
    assert accepted.status_code == 202, accepted.text
    assert "Preference-Applied" not in accepted.headers
    mrn = accepted.json()["mrn"]
    async with idle.stack.db.session() as session:
        record = await clearance_store.get_record(session, mrn)
    assert record is not None and (record.status, record.revision) == ("accepted", 0)

    # No worker runs this clearance: a workflow query would hang; the read model answers at once, in full.
    t0 = time.perf_counter()
    read = await idle.http.get(f"/v1/clearances/{mrn}", headers=idle.stack.auth("declarant"))
    assert read.status_code == 200, read.text
    assert time.perf_counter() - t0 < 1.0
    view = read.json()
    assert (view["status"], view["stage"], view["outcome"]) == ("accepted", "intake", None)
    assert "tasks" not in view  # the declarant's view (domain/audience.py)
    assert view["declaration"]["lrn"] == view["lrn"] and view["sop"]["hash"]

    # Lodged again: still 200 with the same MRN.
    body = {**view["declaration"]}
    again = await idle.lodge(body)
    assert again.status_code == 200 and again.json()["mrn"] == mrn

    # A clearance without a read model (lodged by an older release) is rebuilt from the workflow's memo.
    async with idle.stack.db.writer() as session:
        await session.exec(delete(ClearanceRecord).where(ClearanceRecord.mrn == mrn))  # type: ignore[call-overload]
        await session.commit()
    provisional = await idle.http.get(f"/v1/clearances/{mrn}", headers=idle.stack.auth("customs_officer"))
    assert provisional.status_code == 200, provisional.text
    assert (provisional.json()["status"], provisional.json()["mrn"]) == ("accepted", mrn)

    # The worker's first projection supersedes the API's row (revision 0), and the clearance completes.
    async with idle.worker():
        settled = await idle.http.get(
            f"/v1/clearances/{mrn}", params={"wait": 20}, headers=idle.stack.auth("declarant")
        )
    assert settled.status_code == 200 and settled.json()["outcome"] == "released"
    assert settled.json()["revision"] >= 1


async def test_prefer_wait_answers_with_the_outcome(stack: Stack) -> None:
    t0 = time.perf_counter()
    response = await stack.http.post(
        "/v1/declarations", json=example("green-lane"), headers={**stack.auth("declarant"), "Prefer": "wait=20"}
    )
    assert response.status_code == 200, response.text
    assert time.perf_counter() - t0 < 10
    assert response.headers["Preference-Applied"] == "wait=20"
    body = response.json()
    assert (body["status"], body["outcome"], body["lane"]) == ("completed", "released", "green")
    assert body["links"] == {"self": f"/v1/clearances/{body['mrn']}"}
    assert body["sop"]["name"] == "test-clearance" and body["sop"]["version"] == 1
    assert response.headers["Location"] == f"/v1/clearances/{body['mrn']}"
    assert any(d["kind"] == "release-notice" for d in body["documents"])


async def test_prefer_wait_answers_when_a_person_must_decide(stack: Stack) -> None:
    body = example("green-lane")
    body["consignee"] = {"name": "Volkov Dinamika OOO", "address": {"city": "Moscow", "country": "RU"}}
    body["country_of_destination"] = "RU"
    response = await stack.http.post(
        "/v1/declarations", json=body, headers={**stack.auth("declarant"), "Prefer": "respond-async, wait=100"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["Preference-Applied"] == "wait=30"  # capped
    view = response.json()
    assert view["status"] == "awaiting_decision" and view["outcome"] is None
    # the declarant is not shown the review task (domain/audience.py), only that nothing is asked of it yet
    assert "tasks" not in view and view["required_actions"] == []


async def test_prefer_wait_times_out_with_the_usual_answer_and_bad_values_are_ignored(idle: Idle) -> None:
    t0 = time.perf_counter()
    waited = await idle.lodge(example("green-lane"), {"Prefer": "wait=1"})
    elapsed = time.perf_counter() - t0
    assert waited.status_code == 202, waited.text
    assert 0.9 <= elapsed < 5
    assert waited.headers["Preference-Applied"] == "wait=1"
    assert set(waited.json()) == {"mrn", "status", "sop", "links"} and waited.json()["status"] == "accepted"

    ignored = await idle.lodge(example("green-lane"), {"Prefer": "wait=soon"})
    assert ignored.status_code == 202 and "Preference-Applied" not in ignored.headers


async def test_get_waits_for_a_clearance_a_worker_picks_up_later(idle: Idle) -> None:
    mrn = (await idle.lodge(example("green-lane"))).json()["mrn"]
    auth = idle.stack.auth("declarant")
    timed_out = await idle.http.get(f"/v1/clearances/{mrn}", params={"wait": 0.5}, headers=auth)
    assert timed_out.status_code == 200 and timed_out.json()["status"] == "accepted"

    async def start_worker_later() -> None:
        await asyncio.sleep(1.0)
        async with idle.worker():
            await asyncio.sleep(6)

    later = asyncio.create_task(start_worker_later())
    t0 = time.perf_counter()
    settled = await idle.http.get(f"/v1/clearances/{mrn}", params={"wait": 25}, headers=auth)
    elapsed = time.perf_counter() - t0
    await later
    assert settled.status_code == 200 and settled.json()["outcome"] == "released"
    assert 0.9 <= elapsed < 7

    # Settled already: no waiting. Bad values are refused with the parameter's path.
    t0 = time.perf_counter()
    again = await idle.http.get(f"/v1/clearances/{mrn}", params={"wait": 30}, headers=auth)
    assert again.status_code == 200 and time.perf_counter() - t0 < 1.0
    for bad in ("soon", "-1"):
        refused = await idle.http.get(f"/v1/clearances/{mrn}", params={"wait": bad}, headers=auth)
        assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["query", "wait"]
    other = await idle.http.get(f"/v1/clearances/{mrn}", params={"wait": 5}, headers=idle.stack.auth("other_declarant"))
    assert other.status_code == 403


async def test_many_waiting_requests_share_one_watcher(idle: Idle) -> None:
    mrns = [(await idle.lodge(example("green-lane"))).json()["mrn"] for _ in range(20)]
    watcher = idle.services.watcher
    before = watcher.queries
    auth = idle.stack.auth("declarant")
    t0 = time.perf_counter()
    reads = [idle.http.get(f"/v1/clearances/{mrn}", params={"wait": 1.5}, headers=auth) for mrn in mrns]
    answers = await asyncio.gather(*reads)
    elapsed = time.perf_counter() - t0
    assert all(a.status_code == 200 and a.json()["status"] == "accepted" for a in answers)
    # 20 requests waited 1.5 s: one query per ~50 ms tick (plus a sweep a second), not one per request.
    ticks = elapsed / 0.05
    assert 0 < watcher.queries - before <= ticks * 1.2 + 4, (watcher.queries - before, ticks)
    assert watcher.waiting == 0
    await asyncio.sleep(0.2)
    idle_queries = watcher.queries
    await asyncio.sleep(0.3)
    assert watcher.queries == idle_queries  # nobody waits: the watcher does not query
