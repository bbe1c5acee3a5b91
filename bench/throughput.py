"""Clearance throughput and latency on the embedded stack, persisted (dev server on SQLite with WAL).

    python -m bench.throughput             # full run (about 2 minutes on 2 cores)
    python -m bench.throughput --smoke     # quick run for CI

Measures, in one run, on one Temporal dev server:
1. the bare-Temporal floor: N workflows with no activities (worker process with the clearance worker's tuning);
2. green-lane clearance throughput: N clearances of the green-lane example started as the API starts them,
   run by `worker.py` in its own process with the real activities, database and documents;
3. green-lane latency through the HTTP API (`python -m api.main` in its own process): declarations offered at a
   fixed rate (open loop); latency = submit → release decision (the outcome stage's start in the timeline).
Writes bench/results/throughput.json. Targets (BRIEF.md): throughput >= 0.8 x floor; p99 <= 1 s at 20/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.clearance import INTERPRETER_GENERATION, ClearanceInput
from domain.declaration import Declaration
from domain.mrn import declaration_key, make_mrn, workflow_id_for_key
from domain.search import ALL as SEARCH_ATTRIBUTES
from settings import Settings
from stack.codec import data_converter
from stack.temporal import dev_server_environment
from store import clearances, principals, sops
from store.db import Database
from store.seed import load_reference_data
from tests.support import ROOT, TEMPORAL_BIN, example, sop_definition
from workflows.clearance import ClearanceWorkflow

RESULTS = Path(__file__).parent / "results"


def stack_env(server: WorkflowEnvironment, db: Database, tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of the bench's worker and API processes: this run's dev server, database and data dir."""
    return {
        **os.environ,
        "TEMPORAL_ADDRESS": server.client.service_client.config.target_host,
        "DATABASE_URL": db.url,
        "LOG_LEVEL": "WARNING",
        "DATA_DIR": str(tmp),
        **extra,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Process:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
        )

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def run_many(n: int, concurrency: int, one: Any) -> float:
    """Run `one(i)` n times with at most `concurrency` in flight; returns elapsed seconds."""
    gate = asyncio.Semaphore(concurrency)

    async def guarded(i: int) -> None:
        async with gate:
            await one(i)

    started = time.perf_counter()
    await asyncio.gather(*(guarded(i) for i in range(n)))
    return time.perf_counter() - started


def clearance_input(sop: Any, ref: Any) -> ClearanceInput:
    declaration = Declaration.model_validate(example("green-lane"))
    now = datetime.now(UTC)
    key = declaration_key(declaration.declarant.eori, declaration.lrn)
    return ClearanceInput(
        mrn=make_mrn(year=now.year, country="DE", key=key),
        lrn=declaration.lrn,
        declarant_eori=declaration.declarant.eori,
        body_hash=declaration.body_hash(),
        accepted_at=now,
        declaration=declaration,
        sop=sop,
        sop_ref=ref,
        interpreter=INTERPRETER_GENERATION,
    )


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def written_bytes(pid: int) -> int:
    """Bytes the process has caused to be written to storage so far (`write_bytes` of /proc/<pid>/io)."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def dev_server_pid() -> int:
    """The Temporal dev server this process started (a child running the temporal-bin executable)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            program = (stat.parent / "cmdline").read_bytes().split(b"\0")[0]
            if int(fields[1]) == os.getpid() and program.endswith(TEMPORAL_BIN.name.encode()):
                return int(stat.parent.name)
        except (OSError, ValueError):
            continue
    raise RuntimeError("no Temporal dev server among this process's children")


async def floor(
    client: Client, env: dict[str, str], tmp: Path, n: int, concurrency: int, cpu: dict[str, float] | None = None
) -> float:
    """Workflows per second; with `cpu`, fills in the CPU ms per workflow of the floor's worker and the server."""
    tq = f"floor-{uuid.uuid4().hex[:6]}"
    worker = Process(["-m", "bench.floor"], {**env, "TEMPORAL_TASK_QUEUE": tq}, tmp / "floor.log")
    try:
        await client.execute_workflow("Floor", "warm-up", id=f"floor-warm-{tq}", task_queue=tq)

        async def one(i: int) -> None:
            await client.execute_workflow("Floor", str(i), id=f"floor-{tq}-{i}", task_queue=tq)

        pids = {"worker": worker.proc.pid, "server": dev_server_pid()}
        before = {k: cpu_seconds(p) for k, p in pids.items()}
        written = written_bytes(pids["server"])
        rate = n / await run_many(n, concurrency, one)
        if cpu is not None:
            cpu.update({k: round((cpu_seconds(p) - before[k]) * 1000 / n, 2) for k, p in pids.items()})
            cpu["server_kb_written"] = round((written_bytes(pids["server"]) - written) / 1024 / n, 1)
        return rate
    finally:
        worker.stop()


async def green_lane(client: Client, env: dict[str, str], tmp: Path, db: Database, n: int, concurrency: int) -> float:
    tq = f"green-{uuid.uuid4().hex[:6]}"
    worker = Process(["worker.py"], {**env, "TEMPORAL_TASK_QUEUE": tq}, tmp / "worker.log")
    async with db.session() as session:
        published = await sops.latest(session, "bench-clearance")
    assert published is not None
    try:

        async def one(i: int) -> None:
            inp = clearance_input(published.definition, published.ref)
            key = declaration_key(inp.declarant_eori, inp.lrn)
            end = await client.execute_workflow(ClearanceWorkflow.run, inp, id=workflow_id_for_key(key), task_queue=tq)
            assert end.outcome is not None and end.outcome.value == "released", end.outcome

        await one(-1)  # warm-up: first index build, first imports
        return n / await run_many(n, concurrency, one)
    finally:
        worker.stop()


async def api_latency(
    env: dict[str, str], tmp: Path, db: Database, rate: float, duration: float, token: str
) -> dict[str, float]:
    tq = f"api-{uuid.uuid4().hex[:6]}"
    port = free_port()
    env = {**env, "TEMPORAL_TASK_QUEUE": tq, "API_PORT": str(port), "SOP_NAME": "bench-clearance"}
    worker = Process(["worker.py"], env, tmp / "api-worker.log")
    api = Process(["-m", "api.main"], env, tmp / "api.log")
    base = f"http://127.0.0.1:{port}"
    submitted: dict[str, float] = {}
    try:
        async with httpx.AsyncClient(
            base_url=base,
            timeout=30,
            headers={"Authorization": f"Bearer {token}"},
            limits=httpx.Limits(max_connections=200),
        ) as http:
            for _ in range(100):
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
            warm = await http.post("/v1/declarations", json=example("green-lane"))
            assert warm.status_code == 202, warm.text

            async def submit() -> None:
                t0 = time.time()
                response = await http.post("/v1/declarations", json=example("green-lane"))
                assert response.status_code == 202, response.text
                submitted[response.json()["mrn"]] = t0

            tasks = []
            started = time.perf_counter()
            for i in range(int(rate * duration)):
                await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
                tasks.append(asyncio.create_task(submit()))
            await asyncio.gather(*tasks)
        latencies = await _decision_latencies(db, submitted, timeout=60)
    finally:
        api.stop()
        worker.stop()
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    return {
        "offered_per_s": rate,
        "clearances": len(latencies),
        "p50_s": q[49],
        "p95_s": q[94],
        "p99_s": q[98],
        "max_s": latencies[-1],
    }


async def _decision_latencies(db: Database, submitted: dict[str, float], timeout: float) -> list[float]:
    deadline = time.monotonic() + timeout
    latencies: dict[str, float] = {}
    while len(latencies) < len(submitted) and time.monotonic() < deadline:
        async with db.session() as session:
            for mrn, t0 in submitted.items():
                if mrn in latencies:
                    continue
                view = await clearances.get_view(session, mrn)
                if view is not None and view.outcome is not None:
                    decided = next(t.started_at for t in view.timeline if t.stage == "outcome")
                    latencies[mrn] = decided.timestamp() - t0
        await asyncio.sleep(0.5)
    if len(latencies) < len(submitted):
        raise RuntimeError(f"only {len(latencies)} of {len(submitted)} clearances decided within {timeout} s")
    return list(latencies.values())


@asynccontextmanager
async def embedded_stack(
    *, metrics_port: int | None = None
) -> AsyncIterator[tuple[Path, WorkflowEnvironment, Database]]:
    """A persisted dev server (SQLite, WAL) and a clearance database with the reference data and the bench SOP;
    `metrics_port`: where the dev server serves its Prometheus metrics (bench/server_metrics.py)."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        # The bench's client encrypts as the API and worker processes do (PAYLOAD_ENCRYPTION, same DATA_DIR keyring)
        dev_server_environment()  # the Go runtime `make run` gives its dev server
        server = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(TEMPORAL_BIN),
            data_converter=data_converter(Settings(data_dir=tmp)),
            dev_server_database_filename=str(tmp / "temporal.db"),
            search_attributes=list(SEARCH_ATTRIBUTES),
            dev_server_extra_args=[
                *("--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"),
                *(("--metrics-port", str(metrics_port)) if metrics_port else ()),
            ],
        )
        db = Database(f"sqlite+aiosqlite:///{tmp / 'clearance.db'}")
        try:
            await db.init()
            await load_reference_data(db, ROOT / "reference")
            async with db.session() as session:
                await sops.publish(session, sop_definition(1, name="bench-clearance"), by="bench")
            yield tmp, server, db
        finally:
            await db.dispose()
            await server.shutdown()


async def main(args: argparse.Namespace) -> dict[str, Any]:
    async with embedded_stack() as (tmp, env_server, db):
        async with db.session() as session:
            await principals.upsert_principal(
                session, id="bench", name="bench", agency="DEMO-TRADE", roles=["declarant"], eori="DE123456789012345"
            )
            token = await principals.issue_token(session, principal_id="bench")
        client = env_server.client
        env = stack_env(env_server, db, tmp)
        print(f"floor: {args.n} workflows without activities, {args.concurrency} in flight …", flush=True)
        floor_rate = await floor(client, env, tmp, args.n, args.concurrency)
        print(f"  {floor_rate:.1f} workflows/s", flush=True)
        print(f"green lane: {args.n} clearances, {args.concurrency} in flight …", flush=True)
        green_rate = await green_lane(client, env, tmp, db, args.n, args.concurrency)
        print(f"  {green_rate:.1f} clearances/s", flush=True)
        print(f"API latency: {args.rate}/s offered for {args.duration:.0f} s …", flush=True)
        latency = await api_latency(env, tmp, db, args.rate, args.duration, token)
    return {
        "measured_at": datetime.now(UTC).isoformat(),
        "cores": os.cpu_count(),
        "payload_encryption": Settings().payload_encryption,
        "n": args.n,
        "concurrency": args.concurrency,
        "floor_per_s": round(floor_rate, 1),
        "green_lane_per_s": round(green_rate, 1),
        "ratio": round(green_rate / floor_rate, 2),
        "latency": {k: round(v, 3) for k, v in latency.items()},
    }


def report(result: dict[str, Any]) -> bool:
    lat = result["latency"]
    rows = [
        ("bare-Temporal floor", f"{result['floor_per_s']:.1f} workflows/s", "", ""),
        (
            "green-lane throughput",
            f"{result['green_lane_per_s']:.1f} clearances/s",
            f">= 0.8 x floor ({result['ratio']:.2f} x)",
            "PASS" if result["ratio"] >= 0.8 else "FAIL",
        ),
        (
            f"latency at {lat['offered_per_s']:.0f}/s via API",
            f"p50 {lat['p50_s'] * 1000:.0f} ms, p95 {lat['p95_s'] * 1000:.0f} ms, p99 {lat['p99_s'] * 1000:.0f} ms",
            "p99 <= 1 s",
            "PASS" if lat["p99_s"] <= 1.0 else "FAIL",
        ),
    ]
    print()
    for row in rows:
        print(f"{row[0]:<28}{row[1]:<44}{row[2]:<26}{row[3]}")
    return all(r[3] != "FAIL" for r in rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="workflows per throughput run")
    parser.add_argument("--concurrency", type=int, default=200, help="workflows in flight")
    parser.add_argument("--rate", type=float, default=20.0, help="declarations per second offered to the API")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of offered load")
    parser.add_argument("--smoke", action="store_true", help="small and quick (CI)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    arguments = parser.parse_args()
    if arguments.smoke:
        arguments.n, arguments.duration = 100, 3.0
    outcome = asyncio.run(main(arguments))
    passed = report(outcome)
    RESULTS.mkdir(exist_ok=True)
    name = "throughput-smoke.json" if arguments.smoke else "throughput.json"
    (RESULTS / name).write_text(json.dumps(outcome, indent=2) + "\n")
    sys.exit(1 if arguments.check and not passed else 0)
