"""Cross-border exchange: what signing costs, and how long a partner waits for an export notification.

    python -m bench.exchange            # 2,000 signatures and verifications; 40 releases through the API
    python -m bench.exchange --smoke    # quick run

1. JWS (compact, EdDSA over Ed25519, PyJWT with `cryptography`): sign one export notification's claims, and verify
   it as an inbound message is verified (the sender's key looked up in its registry entry, signature, issuer,
   audience and required claims checked).
2. Message latency on the embedded stack (dev server persisted with WAL, `worker.py` and `python -m api.main` as
   processes): green-lane declarations to CA lodged through the API, 4 at a time; for each, from the release (the
   clearance's `outcome` stage) to the notification's `acknowledged_at` (the embedded partner verified, stored and
   acknowledged it, and the acknowledgement was verified in turn), read from the database.
Writes bench/results/exchange.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import col, select

from adapters.signing import SigningKey, verify
from bench.throughput import RESULTS, Process, embedded_stack, free_port, stack_env
from domain.agencies import Agency
from domain.declaration import Declaration
from domain.exchange import export_data_set, load_agreements
from store import principals
from store.models import ClearanceRecord, ExchangeMessage
from tests.support import ROOT, example


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "median": round(statistics.median(ordered), 3),
        "p90": round(ordered[int(0.9 * (len(ordered) - 1))], 3),
        "p99": round(ordered[int(0.99 * (len(ordered) - 1))], 3),
        "max": round(ordered[-1], 3),
    }


def signing_cost(n: int) -> dict[str, Any]:
    key = SigningKey("DEMO-CUSTOMS", Ed25519PrivateKey.generate())
    sender = Agency(id="DEMO-CUSTOMS", kind="customs", country="DE", name="x", keys=[key.registry_entry()])
    agreement = load_agreements(ROOT / "reference" / "exchange-agreements.yaml")[0]
    declaration = Declaration.model_validate(example("dual-use-licensed"))
    payload = export_data_set(
        declaration, mrn="26DE" + "A" * 14, released_at=datetime.now(UTC), fields=agreement.data_set
    )
    claims = {
        "jti": "x",
        "iss": sender.id,
        "aud": "DEMO-PARTNER-CUSTOMS",
        "iat": int(time.time()),
        "msg": {"kind": "export_notification", "mrn": payload["mrn"], "payload": payload},
    }
    signed, checked = [], []
    token = ""
    for _ in range(n):
        t0 = time.perf_counter()
        token = key.sign(claims)
        signed.append((time.perf_counter() - t0) * 1e6)
        t0 = time.perf_counter()
        verify(token, sender, "DEMO-PARTNER-CUSTOMS")
        checked.append((time.perf_counter() - t0) * 1e6)
    return {"sign_us": summary(signed), "verify_us": summary(checked), "jws_bytes": len(token)}


async def latency(n: int) -> dict[str, Any]:
    async with embedded_stack() as (tmp, server, db):
        async with db.session() as session:
            await principals.upsert_principal(
                session, id="declarant", name="d", agency="DEMO-TRADE", roles=["declarant"], eori="DE123456789012345"
            )
            token = await principals.issue_token(session, principal_id="declarant")
        port = free_port()
        env = stack_env(
            server,
            db,
            tmp,
            TEMPORAL_TASK_QUEUE=f"exch-{uuid.uuid4().hex[:6]}",
            API_PORT=str(port),
            SOP_NAME="bench-clearance",
        )
        worker = Process(["worker.py"], env, tmp / "worker.log")
        api = Process(["-m", "api.main"], env, tmp / "api.log")
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                for _ in range(600):
                    try:
                        if (await http.get("/readyz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.2)
                gate = asyncio.Semaphore(4)
                mrns: list[str] = []

                async def one(i: int) -> None:
                    async with gate:
                        body = example("green-lane", lrn=f"BX-{i}-{uuid.uuid4().hex[:6]}")
                        r = await http.post("/v1/declarations", json=body, headers={"Authorization": f"Bearer {token}"})
                        assert r.status_code == 202, r.text
                        mrns.append(r.json()["mrn"])
                        await asyncio.sleep(0.5)

                await asyncio.gather(*(one(i) for i in range(n)))
                deadline = time.monotonic() + 120
                while True:
                    async with db.session() as session:
                        acked = (
                            await session.exec(
                                select(ExchangeMessage).where(
                                    col(ExchangeMessage.kind) == "export_notification",
                                    col(ExchangeMessage.direction) == "out",
                                    col(ExchangeMessage.status) == "acknowledged",
                                )
                            )
                        ).all()
                    if len(acked) >= n or time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.5)
        finally:
            api.stop()
            worker.stop()
        release_to_ack, lodged_to_ack = [], []
        async with db.session() as session:
            for message in acked:
                record = await session.get(ClearanceRecord, message.mrn)
                assert record is not None and message.acknowledged_at is not None
                released = next(t["started_at"] for t in record.view["timeline"] if t["stage"] == "outcome")
                released_at = datetime.fromisoformat(released)
                ack = (
                    message.acknowledged_at.replace(tzinfo=UTC)
                    if message.acknowledged_at.tzinfo is None
                    else message.acknowledged_at
                )
                accepted = datetime.fromisoformat(record.view["accepted_at"])
                release_to_ack.append((ack - released_at).total_seconds() * 1000)
                lodged_to_ack.append((ack - accepted).total_seconds() * 1000)
        return {
            "declarations": n,
            "acknowledged": len(acked),
            "release_to_acknowledged_ms": summary(release_to_ack),
            "lodged_to_acknowledged_ms": summary(lodged_to_ack),
        }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"measured_at": datetime.now(UTC).isoformat(), "cores": os.cpu_count()}
    result["jws"] = signing_cost(args.signatures)
    print(json.dumps(result["jws"], indent=1), flush=True)
    result["latency"] = await latency(args.n)
    print(json.dumps(result["latency"], indent=1), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "exchange.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--signatures", type=int, default=2000)
    ns = parser.parse_args()
    if ns.smoke:
        ns.n, ns.signatures = 5, 200
    asyncio.run(main(ns))
