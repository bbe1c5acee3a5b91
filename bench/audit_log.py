"""Cost of the verifiable audit log: appending events, proving them, signing checkpoints, verifying the database.

    python -m bench.audit_log                 # 100 000 leaves on a SQLite file (a few minutes on 2 cores)
    python -m bench.audit_log --smoke         # 5 000 leaves, for CI
    python -m bench.audit_log --postgres postgresql+psycopg://root@127.0.0.1:5432/test   # a scratch database there

Appends are timed as the worker writes them: a clearance's batch of 4 events in its own transaction (commit
included), against the same batch written the old way (plain INSERT ... ON CONFLICT DO NOTHING). Proofs are timed
through the store as the API serves them (database reads included) against the tree of the full size.
Writes bench/results/audit_log.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.dialects import postgresql, sqlite

from domain.clearance import AuditEvent
from store import audit_log
from store.audit_note import LogSigner, load_signer
from store.audit_verify import verify_database
from store.db import Database

RESULTS = Path(__file__).parent / "results"
TARGETS = {
    "append_us_per_event": 500.0,  # wall time swings with the machine's load; see the CPU ratio
    # CPU per logged event over CPU per plainly inserted one, same run: 4 statements a batch instead of 1
    "append_cpu_ratio": 4.0,
    "inclusion_proof_us": 2000.0,  # "100k leaves must prove in milliseconds"
    "consistency_proof_us": 2000.0,
    "checkpoint_us": 5000.0,
    "verify_us_per_event": 100.0,  # 100 000 events verified in ≤ 10 s
}
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def batch(mrn: str, first: int, n: int) -> list[AuditEvent]:
    return [
        AuditEvent(
            seq=first + i,
            at=T0 + timedelta(milliseconds=first + i),
            kind="task_completed",
            actor="inspector",
            detail={"task_id": f"T-{mrn}-{first + i}", "outcome": "compliant", "reason": "seals intact"},
        )
        for i in range(n)
    ]


def mrn(n: int) -> str:
    return f"26DE{n:013d}B"


async def fill(db: Database, leaves: int) -> None:
    """Bulk-fill the log: 50 events a transaction, 10 clearances interleaved."""
    seqs: dict[int, int] = {}
    done = 0
    while done < leaves:
        n = done // 50 % 1000
        seq = seqs.get(n, 1)
        count = min(50, leaves - done)
        async with db.writer() as session:
            await audit_log.append(session, mrn(n), batch(mrn(n), seq, count))
            await session.commit()
        seqs[n], done = seq + count, done + count


async def time_appends(db: Database, rounds: int, *, logged: bool) -> tuple[float, float]:
    """Wall and CPU µs per event, batches of 4 events in their own transaction."""
    plain = (postgresql.insert if db.dialect == "postgresql" else sqlite.insert)(audit_log.EVENTS)
    plain = plain.on_conflict_do_nothing(index_elements=["mrn", "seq"])
    start, cpu = time.perf_counter(), time.process_time()
    for r in range(rounds):
        key = f"26DE{r:012d}{'L' if logged else 'P'}Z"[:18]
        events = batch(key, 1, 4)
        async with db.writer() as session:
            if logged:
                await audit_log.append(session, key, events)
            else:
                rows = [
                    {"mrn": key, "seq": e.seq, "at": e.at, "kind": e.kind, "actor": e.actor, "detail": e.detail}
                    | {"leaf_index": -(r * 4 + i) - 1, "leaf_hash": b"\0" * 32, "leaf": "{}"}
                    for i, e in enumerate(events)
                ]
                await session.exec(plain, params=rows)  # type: ignore[call-overload]
            await session.commit()
    count = rounds * 4
    return (time.perf_counter() - start) / count * 1e6, (time.process_time() - cpu) / count * 1e6


async def time_checkpoints(db: Database, signer: LogSigner, rounds: int) -> float:
    """Median µs to publish a checkpoint after one more event."""
    samples = []
    for r in range(rounds):
        key = f"26DE{r:012d}CZ"
        async with db.writer() as session:
            await audit_log.append(session, key, batch(key, 1, 1))
            await session.commit()
        t0 = time.perf_counter()
        await audit_log.publish_checkpoint(db, signer)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1e6


async def time_proofs(db: Database, samples: int) -> dict[str, float]:
    rng = random.Random(7)
    async with db.session() as session:
        size = await audit_log.tree_size(session)
        t: dict[str, list[float]] = {"inclusion_proof_us": [], "consistency_proof_us": []}
        for _ in range(samples):
            index = rng.randrange(size)
            t0 = time.perf_counter()
            await audit_log.inclusion_proof(session, index, size)
            t["inclusion_proof_us"].append(time.perf_counter() - t0)
            old = rng.randrange(1, size)
            t0 = time.perf_counter()
            await audit_log.consistency_proof(session, old, size)
            t["consistency_proof_us"].append(time.perf_counter() - t0)
    return {name: statistics.median(values) * 1e6 for name, values in t.items()}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    leaves = 5_000 if args.smoke else args.leaves
    with tempfile.TemporaryDirectory() as tmp:
        scratch = None
        if args.postgres:
            scratch = f"bench_audit_{uuid.uuid4().hex[:8]}"
            admin = args.postgres.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{scratch}"')
            url = args.postgres.rsplit("/", 1)[0] + f"/{scratch}"
        else:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'log.db'}"
        db = Database(url)
        await db.init()
        signer = load_signer(Path(tmp) / "key.pem", "bench.customs.example/log")
        try:
            t0 = time.perf_counter()
            await fill(db, leaves)
            fill_s = time.perf_counter() - t0
            rounds = 200 if args.smoke else 1000
            plain_us, plain_cpu = await time_appends(db, rounds, logged=False)
            append_us, append_cpu = await time_appends(db, rounds, logged=True)
            checkpoint_us = await time_checkpoints(db, signer, 20)
            proofs = await time_proofs(db, 200 if args.smoke else 1000)
            # the timing's plain rows are not log entries: remove them before verifying
            async with db.writer() as session:
                await session.exec(audit_log.EVENTS.delete().where(audit_log.EVENTS.c.leaf_index < 0))  # type: ignore[call-overload]
                await session.commit()
            async with db.session() as session:
                size = await audit_log.tree_size(session)
            t0 = time.perf_counter()
            report = await verify_database(db, name=signer.name, public_key=signer.public_key)
            verify_s = time.perf_counter() - t0
            assert report.ok, report.problems
        finally:
            await db.dispose()
            if scratch:
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    figures = {
        "database": db.dialect,
        "tree_size": size,
        "fill_events_per_s": leaves / fill_s,
        "plain_insert_us_per_event": plain_us,
        "append_us_per_event": append_us,
        "plain_insert_cpu_us_per_event": plain_cpu,
        "append_cpu_us_per_event": append_cpu,
        "append_cpu_ratio": append_cpu / plain_cpu,
        "checkpoint_us": checkpoint_us,
        **proofs,
        "verify_us_per_event": verify_s / size * 1e6,
        "verify_s": verify_s,
    }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--leaves", type=int, default=100_000)
    parser.add_argument("--postgres", default="", help="a PostgreSQL server URL to create a scratch database on")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    figures = asyncio.run(run(args))
    missed = []
    print(f"audit log on {figures['database']}, tree of {figures['tree_size']} leaves")
    for name, value in figures.items():
        if not isinstance(value, float):
            continue
        target = TARGETS.get(name)
        verdict = "" if target is None else f"  (target <= {target:.0f}: {'met' if value <= target else 'MISSED'})"
        print(f"  {name:28} {value:12.1f}{verdict}")
        if target is not None and value > target:
            missed.append(name)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "audit_log.json").write_text(json.dumps({"figures": figures, "targets": TARGETS}, indent=2))
    if args.check and missed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
