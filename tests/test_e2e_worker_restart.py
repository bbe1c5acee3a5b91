"""Durability: a worker killed (SIGKILL) in the middle of clearances loses nothing and does nothing twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from settings import Settings
from store import sops
from store.db import Database
from store.models import AuditRecord, LicenceDepletion, TaskRecord
from tests.conftest import Stack, _fresh_db
from tests.e2e import (
    CHECKED,
    awaiting,
    completed,
    finish_task,
    licence_body,
    lodge,
    open_tasks,
    wait_for,
    with_licence_document,
)
from tests.support import PRINCIPALS, ROOT, TEST_KEYRING, example, sop_definition

pytestmark = pytest.mark.e2e


class WorkerProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "worker.py")],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
async def remote_worker_stack(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> AsyncIterator[tuple[Stack, WorkerProcess]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'clearance.db'}"
    db = await _fresh_db(url)
    async with db.session() as session:
        await sops.publish(session, sop_definition(1), by="tests")
    settings = Settings(
        environment="test",
        data_dir=tmp_path,
        temporal_task_queue=f"tq-{uuid.uuid4().hex[:8]}",
        sop_name="test-clearance",
        update_timeout_seconds=30,
    )
    from store import principals

    tokens = {}
    async with db.session() as session:
        for pid, (roles, agency, eori) in PRINCIPALS.items():
            await principals.upsert_principal(session, id=pid, name=pid, agency=agency, roles=roles, eori=eori)
            tokens[pid] = await principals.issue_token(session, principal_id=pid)
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "TEMPORAL_TASK_QUEUE": settings.temporal_task_queue,
        "DATABASE_URL": url,
        "LOG_FORMAT": "json",
        "DATA_DIR": str(tmp_path),
        "PAYLOAD_KEYS_FILE": str(tmp_path / "payload-keys.json"),  # the test clients' key
    }
    TEST_KEYRING.save(tmp_path / "payload-keys.json")
    worker = WorkerProcess(env, tmp_path / "worker.log")
    worker.start()
    app = create_app(settings, temporal=temporal_env.client, db=db)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
        ):
            yield Stack(http=http, client=temporal_env.client, db=db, settings=settings, tokens=tokens), worker
    finally:
        worker.stop()
        await db.dispose()


async def _count(db: Database, model: type, **where: object) -> int:
    async with db.session() as session:
        query = select(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return len((await session.exec(query)).all())


async def test_killed_worker_loses_nothing_and_depletes_each_licence_once(
    remote_worker_stack: tuple[Stack, WorkerProcess],
) -> None:
    stack, worker = remote_worker_stack
    reference = f"DE-DU-K{uuid.uuid4().hex[:8].upper()}"
    assert (
        await stack.http.post(
            "/v1/licences",
            json=licence_body(reference, quantity=1000, amount="9000000.00"),
            headers=stack.auth("export_control_officer"),
        )
    ).status_code == 201
    dual_use: list[str] = []
    green: list[str] = []

    async def lodge_all() -> None:
        for _ in range(6):
            dual_use.append((await lodge(stack, with_licence_document(example("dual-use-licensed"), reference)))["mrn"])
            green.append((await lodge(stack, example("green-lane")))["mrn"])
            await asyncio.sleep(0.05)

    lodging = asyncio.create_task(lodge_all())
    deadline = time.monotonic() + 30
    while await _count(stack.db, LicenceDepletion, licence_reference=reference) == 0:
        assert time.monotonic() < deadline, "no clearance reached the licence check"
        await asyncio.sleep(0.01)
    worker.kill()  # in the middle: some clearances depleted, others not yet lodged or mid-flight
    depleted_at_kill = await _count(stack.db, LicenceDepletion, licence_reference=reference)
    await lodging  # lodging goes on while no worker runs: accepted declarations wait for one
    assert depleted_at_kill < 6
    worker.start()

    for mrn in green:
        assert (await wait_for(stack, mrn, completed, timeout=60))["outcome"] == "released"
    for mrn in dual_use:
        await wait_for(stack, mrn, awaiting("inspection_findings"), timeout=60)
        assert await _count(stack.db, TaskRecord, mrn=mrn) == 2
    assert await _count(stack.db, LicenceDepletion, licence_reference=reference) == 6
    licence = (await stack.http.get(f"/v1/licences/{reference}", headers=stack.auth("auditor"))).json()
    assert licence["items"][0]["remaining"]["quantity"]["value"] == "760.000"  # 1000 - 6 x 40, taken once each

    mrn = dual_use[0]
    for who in ("inspector", "export_control_officer"):
        [task] = await open_tasks(stack, who, mrn, "inspection_findings")
        await finish_task(stack, who, task["id"], "compliant", "ok", CHECKED)
    await wait_for(stack, mrn, awaiting("approval"), timeout=60)
    [approval] = await open_tasks(stack, "supervisor", mrn, "approval")
    await finish_task(stack, "supervisor", approval["id"], "approve", "ok")
    view = await wait_for(stack, mrn, completed, timeout=60)
    assert view["outcome"] == "released"
    kinds = [e.kind for e in (await _audit(stack.db, mrn))]
    assert kinds.count("accepted") == 1 and kinds.count("outcome") == 1 and kinds.count("licences_checked") == 1


async def _audit(db: Database, mrn: str) -> list[AuditRecord]:
    async with db.session() as session:
        return list((await session.exec(select(AuditRecord).where(AuditRecord.mrn == mrn))).all())
