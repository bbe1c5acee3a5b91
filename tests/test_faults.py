"""Faults under load, on the real embedded stack: `python -m stack.cli run` (the supervisor) starts the Temporal
dev server persisted to a tmp dir, the worker and the API as processes; the test kills them with SIGKILL.

- Temporal down: every action answers 503 with Retry-After, quickly, and changes nothing; a retry afterwards
  lands once (claim 200 again, complete 409 again).
- Under a steady load of lodgings, the worker, the API and the Temporal server are killed in turn and the
  supervisor restarts each: 0 declarations lost, 0 duplicated, every licence depleted once, and every refused
  request was a 503 or a connection error that the client retried with the same LRN and body.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlmodel import select
from temporalio.client import Client

from domain.mrn import declaration_key, make_mrn, workflow_id_for_mrn
from store.db import Database
from store.models import AuditRecord
from tests.e2e import licence_body, new_licence_reference, with_licence_document
from tests.support import ROOT, example, free_port, sop_data
from tests.test_e2e_worker_restart import _count

pytestmark = pytest.mark.e2e
INTERNALS = ("tcp connect", "Traceback", "RPCError", "transport", "tonic")


def _free_port() -> int:
    return free_port()  # never one handed out before in this process (tests/support.py)


@dataclass
class EmbeddedStack:
    """`make run` as a user starts it, in a tmp DATA_DIR on free ports."""

    process: subprocess.Popen[bytes]
    base: str
    temporal_address: str
    data_dir: Path
    output: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def child(self, name: str) -> int:
        """Pid of the supervisor's child `name` (temporal, worker, api), read from /proc."""
        pid = self.process.pid
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            try:
                argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            except FileNotFoundError:
                continue
            kind = "temporal" if argv[0].endswith(b"/temporal") else "worker" if b"worker.py" in argv else "api"
            if kind == name:
                return int(child)
        raise LookupError(f"no {name} process under the supervisor")

    def kill(self, name: str) -> int:
        pid = self.child(name)
        os.kill(pid, signal.SIGKILL)
        return pid

    def said(self) -> str:
        return self.output.read_text(errors="replace")


@contextmanager
def running_stack(
    tmp: Path, *, api_port: int | None = None, extra_env: dict[str, str] | None = None
) -> Iterator[EmbeddedStack]:
    """`python -m stack.cli run` on free ports in `tmp`, with the test SOP (no random selection), until Ctrl-C;
    `extra_env`: more settings (e.g. ADMINISTRATION, REFERENCE_DIR for a second engine)."""
    (tmp / "sop" / "test-clearance").mkdir(parents=True)
    (tmp / "sop" / "test-clearance" / "v1.yaml").write_text(yaml.safe_dump(sop_data(1)))
    api_port, temporal_port = api_port or _free_port(), _free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(tmp / "data"),
        "API_PORT": str(api_port),
        "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "TEMPORAL_UI_PORT": str(_free_port()),
        "SOP_DIR": str(tmp / "sop"),
        "SOP_NAME": "test-clearance",
        "UPDATE_TIMEOUT_SECONDS": "10",
        "LOG_FORMAT": "json",
        "COLUMNS": "200",
        **(extra_env or {}),
    }
    env.pop("DATABASE_URL", None)
    output = tmp / "stack.out"
    process = subprocess.Popen(
        [sys.executable, "-m", "stack.cli", "run"],
        cwd=ROOT,
        env=env,
        stdout=output.open("wb"),
        stderr=subprocess.STDOUT,
    )
    stack = EmbeddedStack(process, f"http://127.0.0.1:{api_port}", f"127.0.0.1:{temporal_port}", tmp / "data", output)
    try:
        _wait_ready(stack, timeout=120)
        stack.tokens = json.loads((tmp / "data" / "demo-tokens.json").read_text())
        yield stack
    finally:
        process.send_signal(signal.SIGCONT)  # a test may have stopped it
        process.send_signal(signal.SIGINT)  # Ctrl-C: the supervisor stops every child
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    with running_stack(tmp_path_factory.mktemp("faults")) as stack:
        yield stack
    assert "Stopped." in stack.said()


def _wait_ready(stack: EmbeddedStack, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert stack.process.poll() is None, stack.said()
        try:
            if httpx.get(f"{stack.base}/readyz", timeout=3).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"the stack was not ready within {timeout} s:\n{stack.said()[-3000:]}")


def _restarted(stack: EmbeddedStack, name: str, killed: int, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if stack.child(name) != killed:
                return
        except LookupError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{name} was not restarted within {timeout} s:\n{stack.said()[-2000:]}")


async def _ready(stack: EmbeddedStack, timeout: float = 60) -> None:
    await asyncio.to_thread(_wait_ready, stack, timeout)


def _assert_retryable_503(response: httpx.Response) -> None:
    assert response.status_code == 503, f"{response.request.method} {response.request.url}: {response.text}"
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["content-type"] == "application/json"
    assert not any(word.lower() in response.text.lower() for word in INTERNALS), response.text


async def _open_task(http: httpx.AsyncClient, stack: EmbeddedStack, mrn: str) -> dict[str, Any]:
    for _ in range(200):
        items = (await http.get("/v1/tasks", params={"mrn": mrn}, headers=stack.auth("supervisor"))).json()["items"]
        if items:
            return dict(items[0])
        await asyncio.sleep(0.1)
    raise AssertionError(f"no task opened for {mrn}")


async def test_with_temporal_down_every_action_is_a_quick_503_that_changes_nothing(embedded: EmbeddedStack) -> None:
    stack = embedded
    async with httpx.AsyncClient(base_url=stack.base, timeout=30) as http:
        yellow = example("green-lane", country_of_destination="CN")
        yellow["consignee"]["address"]["country"] = "CN"
        mrn = (await http.post("/v1/declarations", json=yellow, headers=stack.auth("declarant"))).json()["mrn"]
        task = await _open_task(http, stack, mrn)
        os.kill(stack.process.pid, signal.SIGSTOP)  # hold the supervisor: Temporal stays down until SIGCONT
        try:
            os.kill(stack.child("temporal"), signal.SIGKILL)
            await asyncio.sleep(0.5)
            unknown = make_mrn(year=2026, country="DE", key=declaration_key("DE123456789012345", "NEVER-LODGED"))
            sup, officer, declarant = stack.auth("supervisor"), stack.auth("customs_officer"), stack.auth("declarant")
            reason = {"reason": "checked"}
            actions: list[tuple[str, str, dict[str, str], dict[str, Any] | None]] = [
                ("POST", "/v1/declarations", declarant, example("green-lane")),
                ("POST", f"/v1/tasks/{task['id']}/claim", sup, None),
                ("POST", f"/v1/tasks/{task['id']}/complete", sup, {"outcome": "approve", **reason}),
                ("POST", f"/v1/tasks/{task['id']}/unclaim", sup, None),
                ("POST", f"/v1/tasks/{task['id']}/comments", sup, {"text": "hello"}),
                ("POST", f"/v1/tasks/{task['id']}/reassign", sup, {"to": "demo-supervisor", **reason}),
                ("POST", f"/v1/clearances/{mrn}/lane", sup, {"lane": "red", **reason}),
                ("POST", f"/v1/clearances/{mrn}/hold", officer, reason),
                ("POST", f"/v1/clearances/{mrn}/hold/release", officer, reason),
                (
                    "PUT",
                    f"/v1/clearances/{mrn}/inspection/schedule",
                    officer,
                    {"at": "2030-01-01T09:00:00Z", "place": "bay 1"},
                ),
                ("POST", f"/v1/clearances/{mrn}/invalidation", declarant, reason),
                ("GET", f"/v1/clearances/{unknown}", officer, None),
            ]
            slowest = 0.0
            for method, path, headers, body in actions:
                started = time.monotonic()
                response = await http.request(method, path, headers=headers, json=body)
                elapsed = time.monotonic() - started
                _assert_retryable_503(response)
                assert elapsed < 4, f"{method} {path} took {elapsed:.1f} s"  # loose bound; the bench measures speed
                slowest = max(slowest, elapsed)
            print(f"\nfaults: Temporal down, {len(actions)} actions answered 503, slowest in {slowest:.2f} s")
            ready = await http.get("/readyz")
            assert ready.status_code == 503 and ready.json()["temporal"].startswith("unavailable")
            assert (await http.get("/healthz")).status_code == 200  # alive, just not ready
        finally:
            os.kill(stack.process.pid, signal.SIGCONT)
        await _ready(stack)
        assert "temporal exited with code -9" in stack.said()
        unchanged = (await http.get(f"/v1/tasks/{task['id']}", headers=sup)).json()
        assert unchanged["state"] == "open" and unchanged["assignee"] is None and not unchanged.get("comments")
        # Retrying after a 503 is safe: a repeated claim is the same claim, a repeated completion is refused.
        for expected in (200, 200):
            assert (await http.post(f"/v1/tasks/{task['id']}/claim", headers=sup)).status_code == expected
        complete = {"outcome": "approve", **reason}
        assert (await http.post(f"/v1/tasks/{task['id']}/complete", headers=sup, json=complete)).status_code == 200
        again = await http.post(f"/v1/tasks/{task['id']}/complete", headers=sup, json=complete)
        assert again.status_code == 409  # "already completed", or "already finished" once the clearance has ended
        for _ in range(100):
            view = (await http.get(f"/v1/clearances/{mrn}", headers=officer)).json()
            if view["outcome"]:
                break
            await asyncio.sleep(0.1)
        assert view["outcome"] == "released"
        assert [d["kind"] for d in view["decisions"]].count("approval") == 1  # the retried completion: once


async def test_sigterm_drains_a_request_in_flight_and_refuses_new_ones(embedded: EmbeddedStack) -> None:
    stack = embedded
    async with httpx.AsyncClient(base_url=stack.base, timeout=30) as http:
        yellow = example("green-lane", country_of_destination="CN")
        yellow["consignee"]["address"]["country"] = "CN"
        mrn = (await http.post("/v1/declarations", json=yellow, headers=stack.auth("declarant"))).json()["mrn"]
        task = await _open_task(http, stack, mrn)
        api, worker = stack.child("api"), stack.child("worker")
        os.kill(stack.process.pid, signal.SIGSTOP)
        os.kill(worker, signal.SIGSTOP)  # the claim waits for the workflow: in flight while the API stops
        try:
            claim = asyncio.create_task(http.post(f"/v1/tasks/{task['id']}/claim", headers=stack.auth("supervisor")))
            await asyncio.sleep(1.0)
            os.kill(api, signal.SIGTERM)
            await asyncio.sleep(0.5)
            try:
                async with httpx.AsyncClient(base_url=stack.base, timeout=5) as late:
                    _assert_retryable_503(await late.get("/v1/tasks", headers=stack.auth("supervisor")))
            except httpx.ConnectError:
                pass  # the listening socket is closed: a connection error, which a client retries the same way
            assert not claim.done()
            os.kill(worker, signal.SIGCONT)
            claimed = await claim
            assert claimed.status_code == 200, claimed.text  # drained: answered, not cut off with a 500
            assert claimed.json()["assignee"] == "demo-supervisor"
            for _ in range(100):
                if not Path(f"/proc/{api}").exists() or b"zombie" in Path(f"/proc/{api}/status").read_bytes():
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the API did not stop after draining")
        finally:
            os.kill(worker, signal.SIGCONT)
            os.kill(stack.process.pid, signal.SIGCONT)
    await asyncio.to_thread(_restarted, stack, "api", api)
    await _ready(stack)
    assert "api exited with code -15" in stack.said()  # uvicorn re-raises SIGTERM once it has drained


@dataclass
class Lodging:
    lrn: str
    answers: list[int | str] = field(default_factory=list)  # every status (or "connection error") in order
    mrn: str | None = None


async def _lodge_until_accepted(http: httpx.AsyncClient, auth: dict[str, str], body: dict[str, Any]) -> Lodging:
    """A declarant system: a refusal (503, or no connection) is retried with the same LRN and the same body."""
    lodging = Lodging(body["lrn"])
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            response = await http.post("/v1/declarations", json=body, headers=auth)
        except httpx.TransportError:
            lodging.answers.append("connection error")
            await asyncio.sleep(0.5)
            continue
        lodging.answers.append(response.status_code)
        if response.status_code in (200, 202):
            lodging.mrn = response.json()["mrn"]
            return lodging
        if response.status_code != 503:
            raise AssertionError(f"{body['lrn']}: {response.status_code} {response.text}")
        _assert_retryable_503(response)
        await asyncio.sleep(min(float(response.headers["Retry-After"]), 1.0))
    raise AssertionError(f"{body['lrn']} was never accepted: {lodging.answers}")


async def test_killing_each_process_under_load_loses_nothing_and_doubles_nothing(embedded: EmbeddedStack) -> None:
    stack = embedded
    reference = new_licence_reference()
    rate, dual_use_every, pieces = 5.0, 8, 100_000
    async with httpx.AsyncClient(base_url=stack.base, timeout=30, limits=httpx.Limits(max_connections=50)) as http:
        created = await http.post(
            "/v1/licences",
            json=licence_body(reference, quantity=pieces, amount="900000000.00"),
            headers=stack.auth("export_control_officer"),
        )
        assert created.status_code == 201, created.text
        bodies: list[dict[str, Any]] = []
        dual_use_lrns: set[str] = set()
        stop = asyncio.Event()

        async def load() -> list[Lodging]:
            pending: list[asyncio.Task[Lodging]] = []
            started = time.monotonic()
            while not stop.is_set():
                i = len(pending)
                body = example("green-lane")
                if i % dual_use_every == 0:
                    body = with_licence_document(example("dual-use-licensed"), reference)
                    dual_use_lrns.add(body["lrn"])
                bodies.append(body)
                pending.append(asyncio.create_task(_lodge_until_accepted(http, stack.auth("declarant"), body)))
                await asyncio.sleep(max(0.0, started + (i + 1) / rate - time.monotonic()))
            return list(await asyncio.gather(*pending))

        loading = asyncio.create_task(load())
        for name in ("worker", "api", "temporal"):
            await asyncio.sleep(1.5)
            killed = stack.kill(name)
            await asyncio.to_thread(_restarted, stack, name, killed)  # by the supervisor; the others kept running
            await _ready(stack)
        await asyncio.sleep(2.0)
        stop.set()
        lodgings = await loading

        for name in ("worker", "api", "temporal"):
            assert f"{name} exited with code -9" in stack.said(), stack.said()
        by_lrn = {lodging.lrn: lodging for lodging in lodgings}
        assert len(by_lrn) == len(lodgings) == len(bodies)
        refused = Counter(a for lodging in lodgings for a in lodging.answers if a not in (200, 202))
        assert set(refused) <= {503, "connection error"}, refused
        assert sum(refused.values()) > 0, "no process kill refused a request: the test did not test anything"
        mrns = [lodging.mrn for lodging in lodgings]
        assert all(mrns) and len(set(mrns)) == len(mrns)
        dual_use = {lodging.mrn for lodging in lodgings if lodging.lrn in dual_use_lrns}

        # 0 lost: every green declaration released, every dual-use one at its joint inspection (licence taken).
        deadline = time.monotonic() + 60
        waiting, outcomes = set(mrns), Counter[str]()
        while waiting and time.monotonic() < deadline:
            for mrn in list(waiting):
                view = (await http.get(f"/v1/clearances/{mrn}", headers=stack.auth("customs_officer"))).json()
                if view.get("outcome") or (mrn in dual_use and view.get("stage") == "joint_inspection"):
                    waiting.discard(mrn)
                    outcomes[view.get("outcome") or "at joint inspection"] += 1
            await asyncio.sleep(0.3)
        assert not waiting, f"{len(waiting)} of {len(mrns)} declarations never got through: {sorted(waiting)[:5]}"
        assert outcomes == {"released": len(mrns) - len(dual_use), "at joint inspection": len(dual_use)}, outcomes
        print(f"\nfaults: {len(mrns)} lodged at {rate}/s; refused and retried {dict(refused)}; {dict(outcomes)}")
        licence = (await http.get(f"/v1/licences/{reference}", headers=stack.auth("auditor"))).json()
        remaining = float(licence["items"][0]["remaining"]["quantity"]["value"])
        assert remaining == pieces - 40 * len(dual_use)  # each dual-use clearance took its 40 pieces once

    # 0 duplicated: one workflow run per LRN, one acceptance per MRN.
    client = await Client.connect(stack.temporal_address)
    runs = Counter([wf.id async for wf in client.list_workflows("WorkflowType = 'Clearance'")])
    ours = {workflow_id_for_mrn(mrn) for mrn in mrns if mrn}
    assert ours <= set(runs) and all(runs[wid] == 1 for wid in ours), runs.most_common(3)
    db = Database(f"sqlite+aiosqlite:///{stack.data_dir / 'clearance.db'}")
    try:
        async with db.session() as session:
            accepted = Counter(
                (await session.exec(select(AuditRecord.mrn).where(AuditRecord.kind == "accepted"))).all()
            )
        assert all(accepted[mrn] == 1 for mrn in mrns), [m for m in mrns if accepted[m] != 1][:5]
        assert await _count(db, AuditRecord, kind="outcome") >= len(mrns) - len(dual_use)
    finally:
        await db.dispose()
