"""How fast people's actions answer: task actions and console pages through HTTP, on the embedded stack, persisted.

    python -m bench.tasks             # 200 approvals, 8 supervisors at once (about a minute on 2 cores)
    python -m bench.tasks --smoke     # quick run for CI

One Temporal dev server (SQLite, WAL), `worker.py` and `python -m api.main` in their own processes. N yellow-lane
declarations are lodged and wait for a supervisor's approval; then S supervisors work through them at once, each
action timed from request to response:
- claim and complete: an Update through the workflow's validator, the read model written before the answer;
- a refused claim (the task is someone else's): the validator's 409, nothing written;
- the console inbox and the task page (server-rendered HTML with the clearance beside the task).
Writes bench/results/tasks.json. No target in BRIEF.md; an officer's click should answer well within a second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.throughput import RESULTS, Process, embedded_stack, free_port, stack_env
from store import principals
from tests.support import example

AGENCY = "DEMO-CUSTOMS"


def yellow_lane() -> dict[str, Any]:
    body = example("green-lane", country_of_destination="CN")
    body["consignee"]["address"]["country"] = "CN"
    return body


async def timed(samples: dict[str, list[float]], name: str, call: Any, expect: int) -> httpx.Response:
    t0 = time.perf_counter()
    response: httpx.Response = await call
    samples[name].append(time.perf_counter() - t0)
    if response.status_code != expect:
        raise RuntimeError(f"{name}: expected {expect}, got {response.status_code}: {response.text[:300]}")
    return response


async def main(args: argparse.Namespace) -> dict[str, Any]:
    samples: dict[str, list[float]] = defaultdict(list)
    tokens: dict[str, str] = {}
    async with embedded_stack() as (tmp, server, db):
        async with db.session() as session:
            people: list[tuple[str, str, list[str], str | None]] = [
                ("declarant", "DEMO-TRADE", ["declarant"], "DE123456789012345")
            ]
            people += [(f"supervisor{i}", AGENCY, ["supervisor"], None) for i in range(args.supervisors)]
            for pid, agency, roles, eori in people:
                await principals.upsert_principal(session, id=pid, name=pid, agency=agency, roles=roles, eori=eori)
                tokens[pid] = await principals.issue_token(session, principal_id=pid)
        port = free_port()
        env = stack_env(
            server,
            db,
            tmp,
            TEMPORAL_TASK_QUEUE=f"tasks-{uuid.uuid4().hex[:6]}",
            API_PORT=str(port),
            SOP_NAME="bench-clearance",
        )
        worker = Process(["worker.py"], env, tmp / "worker.log")
        api = Process(["-m", "api.main"], env, tmp / "api.log")
        try:
            await run(f"http://127.0.0.1:{port}", tokens, args, samples)
        finally:
            api.stop()
            worker.stop()
    return {
        "measured_at": datetime.now(UTC).isoformat(),
        "cores": os.cpu_count(),
        "approvals": args.n,
        "supervisors": args.supervisors,
        "latency_ms": {name: summary(values) for name, values in samples.items()},
    }


async def run(base: str, tokens: dict[str, str], args: argparse.Namespace, samples: dict[str, list[float]]) -> None:
    def auth(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[who]}"}

    async with httpx.AsyncClient(base_url=base, timeout=30, limits=httpx.Limits(max_connections=100)) as http:
        for _ in range(150):
            try:
                if (await http.get("/readyz")).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
        print(f"lodging {args.n} yellow-lane declarations …", flush=True)
        for start in range(0, args.n, 20):
            batch = [
                http.post("/v1/declarations", json=yellow_lane(), headers=auth("declarant"))
                for _ in range(min(20, args.n - start))
            ]
            for response in await asyncio.gather(*batch):
                assert response.status_code == 202, response.text
        deadline = time.monotonic() + 120
        while True:
            listed = await http.get("/v1/tasks", params={"limit": 500}, headers=auth("supervisor0"))
            queue = [t["id"] for t in listed.json()["items"] if t["kind"] == "approval"]
            if len(queue) >= args.n:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(queue)} of {args.n} approval tasks opened")
            await asyncio.sleep(0.5)
        print(f"{args.supervisors} supervisors work through {len(queue)} approvals …", flush=True)
        consoles = []
        for i in range(args.supervisors):
            console = httpx.AsyncClient(base_url=base, timeout=30)
            signed = await console.post("/console/login", data={"token": tokens[f"supervisor{i}"]})
            assert signed.status_code == 303, signed.text
            consoles.append(console)
        pending = list(queue)
        started = time.perf_counter()

        async def supervisor(i: int) -> None:
            me, other = f"supervisor{i}", f"supervisor{(i + 1) % args.supervisors}"
            console = consoles[i]
            while pending:
                task_id = pending.pop()
                await timed(samples, "console_inbox", console.get("/console"), 200)
                await timed(samples, "console_task_page", console.get(f"/console/tasks/{task_id}"), 200)
                await timed(samples, "claim", http.post(f"/v1/tasks/{task_id}/claim", headers=auth(me)), 200)
                if other != me:
                    refused = http.post(f"/v1/tasks/{task_id}/claim", headers=auth(other))
                    await timed(samples, "refused_claim", refused, 409)
                body = {"outcome": "approve", "reason": "documents consistent"}
                done = http.post(f"/v1/tasks/{task_id}/complete", json=body, headers=auth(me))
                await timed(samples, "complete", done, 200)

        try:
            await asyncio.gather(*(supervisor(i) for i in range(args.supervisors)))
        finally:
            for console in consoles:
                await console.aclose()
        elapsed = time.perf_counter() - started
        print(f"  {len(queue)} approvals in {elapsed:.1f} s ({len(queue) / elapsed:.1f}/s)", flush=True)


def summary(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    q = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else [values[0]] * 99
    return {
        "count": len(values),
        "p50": round(q[49] * 1000, 1),
        "p95": round(q[94] * 1000, 1),
        "p99": round(q[98] * 1000, 1),
        "max": round(values[-1] * 1000, 1),
    }


def report(result: dict[str, Any]) -> None:
    print(f"\n{result['approvals']} approvals, {result['supervisors']} supervisors at once ({result['cores']} cores)")
    print(f"{'action':<20}{'count':>7}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for name, s in result["latency_ms"].items():
        print(f"{name:<20}{s['count']:>7}{s['p50']:>10}{s['p95']:>10}{s['p99']:>10}{s['max']:>10}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200, help="approval tasks")
    parser.add_argument("--supervisors", type=int, default=8, help="supervisors working at once")
    parser.add_argument("--smoke", action="store_true", help="a quick run: 20 approvals, 4 supervisors")
    arguments = parser.parse_args()
    if arguments.smoke:
        arguments.n, arguments.supervisors = 20, 4
    outcome = asyncio.run(main(arguments))
    report(outcome)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "tasks.json").write_text(json.dumps(outcome, indent=2) + "\n")
