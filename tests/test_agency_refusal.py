"""An agency that refuses (4xx) parks the clearance with a visible reason instead of being retried forever; an
officer's hold release runs the call again. Against a real HTTP licence registry on loopback."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from activities.clearance import ClearanceActivities
from adapters.errors import AGENCY_REJECTED, raise_for_agency_status
from adapters.licences import HttpLicenceRegistry
from adapters.screening import EmbeddedScreeningService
from tests.conftest import Stack
from tests.e2e import awaiting, lodge, new_licence_reference, wait_for, with_licence_document
from tests.support import example
from worker import TUNING, WORKFLOWS, workflow_runner

pytestmark = pytest.mark.e2e


class Registry:
    """A licence registry on loopback: refuses with `status` until told what to answer instead."""

    def __init__(self) -> None:
        self.status, self.answer, self.calls = 400, {"detail": "holder DE555000111222333 unknown"}, 0
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                registry.calls += 1
                body = json.dumps(registry.answer).encode()
                self.send_response(registry.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def registry() -> Iterator[Registry]:
    r = Registry()
    yield r
    r.server.shutdown()
    r.server.server_close()


def response(status: int, body: Any = None) -> httpx.Response:
    return httpx.Response(status, json=body, request=httpx.Request("POST", "http://registry/v1/licence-depletions"))


def test_4xx_is_a_typed_refusal_and_5xx_408_429_stay_retryable() -> None:
    raise_for_agency_status(response(200, {}), agency="licence registry")
    with pytest.raises(ApplicationError) as refused:
        raise_for_agency_status(response(400, {"detail": "x" * 500}), agency="licence registry")
    assert refused.value.type == AGENCY_REJECTED and refused.value.non_retryable
    assert refused.value.message.startswith("licence registry refused: 400 xxx") and len(refused.value.message) < 240
    assert refused.value.details[0] == {"agency": "licence registry", "status": 400, "reason": "x" * 199 + "…"}
    for status in (408, 429, 500, 503):
        with pytest.raises(ApplicationError) as later:
            raise_for_agency_status(response(status), agency="licence registry")
        assert not later.value.non_retryable and later.value.type == "AgencyUnavailable"


async def test_a_refusing_registry_parks_the_clearance_and_a_release_retries(stack: Stack, registry: Registry) -> None:
    from api.main import create_app

    task_queue = f"refusal-{uuid.uuid4().hex[:6]}"
    licences = HttpLicenceRegistry(registry.url, "token", 5.0)
    activities = ClearanceActivities(db=stack.db, licences=licences, screening=EmbeddedScreeningService(stack.db))
    settings = stack.settings.model_copy(update={"temporal_task_queue": task_queue})
    app = create_app(settings, temporal=stack.client, db=stack.db)
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
        remote = Stack(http=http, client=stack.client, db=stack.db, settings=settings, tokens=stack.tokens)
        reference = new_licence_reference()
        mrn = (await lodge(remote, with_licence_document(example("dual-use-licensed"), reference)))["mrn"]

        def parked(view: dict[str, Any]) -> bool:
            return view["hold"] is not None

        view = await wait_for(remote, mrn, parked)
        assert view["status"] == "in_progress" and view["outcome"] is None
        assert view["hold"]["reason"] == "licence registry refused: 400 holder DE555000111222333 unknown"
        assert view["hold"]["by"] == "system:agency"
        calls = registry.calls
        assert calls == 1  # refused once, never retried
        audit = (await http.get(f"/v1/clearances/{mrn}/audit", headers=remote.auth("auditor"))).json()["events"]
        failed = [e for e in audit if e["kind"] == "agency_call_failed"]
        assert len(failed) == 1 and failed[0]["detail"]["reason"] == view["hold"]["reason"]

        # Still refusing: a release retries once and parks again.
        release = f"/v1/clearances/{mrn}/hold/release"
        answer = await http.post(
            release, json={"reason": "registry says fixed"}, headers=remote.auth("customs_officer")
        )
        assert answer.status_code == 200, answer.text
        await wait_for(remote, mrn, lambda v: parked(v) and registry.calls == calls + 1)

        # The registry now covers the item: the release runs the licence check and the clearance goes on.
        registry.status = 200
        registry.answer = {"covered": True, "licence_reference": reference, "line": 1, "quantity": "40", "value": "1"}
        answer = await http.post(release, json={"reason": "holder registered"}, headers=remote.auth("customs_officer"))
        assert answer.status_code == 200, answer.text
        view = await wait_for(remote, mrn, awaiting("inspection_findings"))
        assert view["hold"] is None and view["licences"]["items"][0]["licence_reference"] == reference
        audit = (await http.get(f"/v1/clearances/{mrn}/audit", headers=remote.auth("auditor"))).json()["events"]
        assert [e["kind"] for e in audit].count("agency_call_failed") == 2
    await licences.aclose()
