"""Cost of witnessing: one cosignature round trip of our latest checkpoint to a partner engine over HTTP.

    python -m bench.witness               # 300 rounds
    python -m bench.witness --smoke       # 30 rounds, for CI

Our log (a SQLite file) grows by one clearance's batch of 4 events and publishes a checkpoint before each round;
the round is what the worker's publisher does (`store.audit_cosign.request_cosignature`): read the size the
witness last cosigned, the consistency proof from it, POST `add-checkpoint` to the partner engine (the real app,
`api.main.create_app`, served by uvicorn on a loopback port in this process, its own SQLite file and key), check
the returned cosignature against the registry key and keep it. Timed separately: the witness's own work
(`store.witness.add_checkpoint` through the embedded witness, no HTTP). Writes bench/results/witness.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client

from adapters.witness import EmbeddedWitness, HttpWitness
from api.main import create_app
from domain.agencies import AgencyKey, load_registry
from domain.clearance import AuditEvent
from settings import ROOT, Settings
from stack.logging import configure as configure_logging
from store import agencies, audit_cosign, audit_log, principals
from store import witness as witness_store
from store.audit_note import Cosigner, b64, load_or_create_key, load_signer
from store.db import Database
from tests.support import served

RESULTS = Path(__file__).parent / "results"
T0 = datetime(2026, 3, 1, tzinfo=UTC)


async def _database(path: Path) -> Database:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.init()
    async with db.session() as session:
        await agencies.load(session, load_registry(ROOT / "reference" / "agencies.yaml"))
    return db


async def _grow(db: Database, signer: Any, n: int) -> None:
    mrn = f"26DE{n:013d}X"
    async with db.writer() as session:
        events = [
            AuditEvent(seq=i, at=T0 + timedelta(seconds=n, milliseconds=i), kind="task_completed") for i in range(4)
        ]
        await audit_log.append(session, mrn, events)
        await session.commit()
    await audit_log.publish_checkpoint(db, signer)




def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


async def run(rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        ours, theirs = await _database(base / "ours.db"), await _database(base / "partner.db")
        signer = load_signer(base / "ours" / "log.pem", "clearance.demo-customs.example/log")
        partner = Settings(
            environment="test",
            data_dir=base / "partner",
            administration="DEMO-PARTNER-CUSTOMS",
            audit_log_origin="clearance.demo-partner-customs.example/log",
            log_format="console",
            log_level="WARNING",
        )
        partner_key = load_or_create_key(partner.audit_log_key_path)
        cosigner = Cosigner(partner.audit_witness_name, partner_key)
        async with theirs.writer() as session:
            await agencies.add_key(session, "DEMO-CUSTOMS", AgencyKey(key_id="log", public_key=b64(signer.public_key)))
            await principals.upsert_principal(
                session,
                id="engine",
                name="DEMO-CUSTOMS engine",
                agency="DEMO-CUSTOMS",
                roles=["partner_customs_officer"],
            )
            token = await principals.issue_token(session, principal_id="engine")
        temporal = await Client.connect("127.0.0.1:1", lazy=True)  # the witness route never calls Temporal
        round_trips: list[float] = []
        async with served(create_app(partner, temporal=temporal, db=theirs)) as url:
            witness = HttpWitness("DEMO-PARTNER-CUSTOMS", url, token, timeout=5)
            for n in range(rounds):
                await _grow(ours, signer, n)
                started = time.perf_counter()
                assert await audit_cosign.request_cosignature(ours, witness, [cosigner.public_key]) is not None
                round_trips.append(time.perf_counter() - started)
            await witness.aclose()
        # the witness's own checks and write, without HTTP: a fresh witness identity on the partner's database
        local = EmbeddedWitness(
            "DEMO-PARTNER-CUSTOMS",
            theirs,
            Cosigner("bench.example/witness", load_or_create_key(base / "w2.pem")),
            witness_store.TrustedKey("DEMO-CUSTOMS", signer.public_key),
        )
        witness_only: list[float] = []
        for n in range(rounds, 2 * rounds):
            await _grow(ours, signer, n)
            started = time.perf_counter()
            assert await audit_cosign.request_cosignature(ours, local, [local.cosigner.public_key]) is not None
            witness_only.append(time.perf_counter() - started)
        async with ours.session() as session:
            size = await audit_log.tree_size(session)
        await ours.dispose()
        await theirs.dispose()
    return {
        "rounds": rounds,
        "final_tree_size": size,
        "http_round_trip": _summary(round_trips),
        "embedded_round_trip": _summary(witness_only),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    configure_logging("WARNING", "console")
    result = asyncio.run(run(30 if args.smoke else args.rounds))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "witness.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
