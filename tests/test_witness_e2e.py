"""Witnessing between two engines on loopback: our stack (real worker, real clearances) and a second engine, the
partner customs DEMO-PARTNER-CUSTOMS, served by uvicorn on a free port with its own database and key. The partner
cosigns our checkpoints over HTTP (`adapters.witness.HttpWitness`, the publisher's round); `GET /v1/audit/checkpoint`
and the evidence bundle carry its cosignature, checked here from the C2SP text with hashlib and cryptography only;
a forked log and a bad signature are refused by the partner, the fork recorded as an alert in its own log."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from adapters.witness import configured_witnesses
from api.main import create_app
from domain.agencies import AgencyKey
from settings import Settings, WitnessConfig
from store import agencies, audit_cosign, audit_log, principals
from store import witness as witness_store
from store.audit_note import b64, load_or_create_key, load_signer, raw_public_key, split_note
from store.db import Database
from store.models import AuditRecord
from tests.conftest import Stack, _fresh_db
from tests.e2e import completed, lodge, wait_for
from tests.support import ROOT, example, served
from tests.test_audit_log_e2e import cli
from tests.witness_support import check_cosignature, forked

pytestmark = pytest.mark.e2e
PARTNER = "DEMO-PARTNER-CUSTOMS"
PARTNER_ORIGIN = "clearance.demo-partner-customs.example/log"
PARTNER_WITNESS = "clearance.demo-partner-customs.example/witness"




@dataclass
class Partner:
    url: str
    db: Database
    public_key: bytes  # its log key, which it cosigns with
    token: str  # the token it issued to our engine (a principal of DEMO-CUSTOMS there)
    stranger_token: str  # a principal of another agency there
    auditor_token: str  # the partner's own auditor


@pytest.fixture(scope="module")
async def partner(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Partner]:
    data = tmp_path_factory.mktemp("partner")
    db = await _fresh_db(f"sqlite+aiosqlite:///{data / 'partner.db'}")
    settings = Settings(
        environment="test",
        data_dir=data,
        administration=PARTNER,
        audit_log_origin=PARTNER_ORIGIN,
        temporal_task_queue="partner-unused",
        log_format="console",
    )
    public_key = raw_public_key(load_or_create_key(settings.audit_log_key_path).public_key())
    ours = load_signer(stack.settings.audit_log_key_path, stack.settings.audit_log_origin)
    async with db.writer() as session:
        # the partner's registry knows our log key (reference data exchanged between the administrations) ...
        await agencies.add_key(
            session, stack.settings.administration, AgencyKey(key_id="log", public_key=b64(ours.public_key))
        )
        await principals.upsert_principal(
            session,
            id="demo-customs-engine",
            name="DEMO-CUSTOMS engine",
            agency="DEMO-CUSTOMS",
            roles=["partner_customs_officer"],
        )
        await principals.upsert_principal(
            session,
            id="other-engine",
            name="Other engine",
            agency="DEMO-EXPORT-CONTROL",
            roles=["partner_customs_officer"],
        )
        await principals.upsert_principal(
            session, id="partner-auditor", name="Auditor", agency=PARTNER, roles=["auditor"]
        )
        auditor = await principals.issue_token(session, principal_id="partner-auditor")
        token = await principals.issue_token(session, principal_id="demo-customs-engine")
        stranger = await principals.issue_token(session, principal_id="other-engine")
    async with stack.db.writer() as session:  # ... and ours the partner's witness key
        await agencies.add_key(session, PARTNER, AgencyKey(key_id="partner-log", public_key=b64(public_key)))
        await session.commit()
    async with served(create_app(settings, temporal=stack.client, db=db)) as url:
        yield Partner(url, db, public_key, token, stranger, auditor)
    await db.dispose()


async def _settled(stack: Stack, mrn: str) -> None:
    """Until the clearance's trail stops growing: after a release its exchange with the partner (notification,
    acknowledgement, the exit being followed) is logged under its MRN after the outcome."""
    seen = -1
    for _ in range(60):
        trail = await stack.http.get(f"/v1/clearances/{mrn}/audit", headers=stack.auth("auditor"))
        assert trail.status_code == 200, trail.text
        size = len(trail.json()["events"])
        if size == seen:
            return
        seen = size
        await asyncio.sleep(1.0)
    raise AssertionError(f"the trail of {mrn} kept growing")


async def _round(stack: Stack, partner: Partner) -> None:
    """One round of the worker's publisher: publish if the log grew, ask the witnesses (AUDIT_WITNESSES)."""
    settings = stack.settings.model_copy(
        update={"audit_witnesses": [WitnessConfig(agency=PARTNER, url=partner.url, token=partner.token)]}
    )
    signer = load_signer(stack.settings.audit_log_key_path, stack.settings.audit_log_origin)
    witnesses = await configured_witnesses(settings, stack.db, signer)
    await audit_log.publish_checkpoint(stack.db, signer)
    await audit_cosign.witness_round(stack.db, witnesses)
    await witnesses[0].witness.aclose()  # type: ignore[attr-defined]


async def _cosigned(stack: Stack, partner: Partner) -> tuple[dict, str]:
    response = await stack.http.get("/v1/audit/checkpoint", headers=stack.auth("auditor"))
    assert response.status_code == 200, response.text
    checkpoint = response.json()
    body, lines = split_note(checkpoint["note"])
    [line] = [line for line in lines if line.split(" ")[1] == PARTNER_WITNESS]
    check_cosignature(line, body, PARTNER_WITNESS, partner.public_key)
    return checkpoint, line


async def _post(partner: Partner, body: bytes, token: str | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=partner.url, timeout=10) as client:
        headers = {"Content-Type": "text/plain", "Authorization": f"Bearer {token or partner.token}"}
        return await client.post("/v1/audit/witness/add-checkpoint", content=body, headers=headers)


async def test_the_partner_engine_cosigns_our_checkpoints(stack: Stack, partner: Partner, tmp_path: Path) -> None:
    first = (await lodge(stack, example("green-lane")))["mrn"]
    await wait_for(stack, first, completed)
    await _settled(stack, first)
    await _round(stack, partner)
    checkpoint, _ = await _cosigned(stack, partner)
    assert {k: checkpoint["cosignatures"][0][k] for k in ("agency", "name")} == {
        "agency": PARTNER,
        "name": PARTNER_WITNESS,
    }

    second = (await lodge(stack, example("green-lane")))["mrn"]
    await wait_for(stack, second, completed)
    await _settled(stack, second)
    await _round(stack, partner)  # old = the size it cosigned, with our consistency proof
    grown, _ = await _cosigned(stack, partner)
    assert grown["tree_size"] > checkpoint["tree_size"]
    kept = await witness_store.kept_checkpoints(
        partner.db, witness=PARTNER_WITNESS, origin=stack.settings.audit_log_origin
    )
    assert all(k.cosigned for k in kept) and kept[-1].tree_size == grown["tree_size"]
    assert checkpoint["tree_size"] in [k.tree_size for k in kept]

    out = tmp_path / "bundle.json"
    exported = await cli(stack, "export", second, "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    bundle = json.loads(out.read_text())
    assert bundle["witnesses"] == [{"agency": PARTNER, "name": PARTNER_WITNESS, "public_key": b64(partner.public_key)}]
    verified = await cli(
        stack, "verify", "--bundle", str(out), "--witness-key", f"{PARTNER_WITNESS}={b64(partner.public_key)}"
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"OK cosigned by {PARTNER_WITNESS}" in verified.stdout
    other = base64.b64encode(bytes(32)).decode()
    refused = await cli(stack, "verify", "--bundle", str(out), "--witness-key", f"{PARTNER_WITNESS}={other}")
    assert refused.returncode == 1 and "no cosignature" in refused.stdout

    whole = await cli(stack, "verify")
    assert whole.returncode == 0, whole.stdout + whole.stderr
    assert f"cosignatures of witness {PARTNER_WITNESS} verified" in whole.stdout


async def test_the_partner_refuses_a_forked_log_and_records_the_alert(stack: Stack, partner: Partner) -> None:
    mrn = (await lodge(stack, example("green-lane")))["mrn"]
    await wait_for(stack, mrn, completed)
    await _round(stack, partner)
    async with stack.db.session() as session:
        size = await audit_cosign.last_cosigned(session, PARTNER)
        query = select(AuditRecord).where(AuditRecord.leaf_index < size).order_by(AuditRecord.leaf_index)  # type: ignore[arg-type,operator]
        leaves = [r.leaf.encode() for r in (await session.exec(query)).scalars().all()]  # type: ignore[call-overload]
    assert len(leaves) == size
    victim = next(i for i, leaf in enumerate(leaves) if json.loads(leaf)["mrn"] == mrn)
    rewritten = json.loads(leaves[victim])
    rewritten["detail"] = {**rewritten["detail"], "rewritten": True}  # a row rewritten, the tree republished
    leaves[victim] = json.dumps(rewritten, sort_keys=True, separators=(",", ":")).encode()
    signer = load_signer(stack.settings.audit_log_key_path, stack.settings.audit_log_origin)

    same_size, _ = forked(signer, leaves, size)
    response = await _post(partner, audit_cosign.submission(size, [], same_size))
    assert response.status_code == 409 and "another root hash" in response.json()["detail"], response.text
    longer, proof = forked(signer, [*leaves, b'{"forked":true}'], size)
    response = await _post(partner, audit_cosign.submission(size, proof, longer))
    assert response.status_code == 422 and response.json()["errors"][0]["loc"] == ["body", "proof"], response.text

    async with partner.db.session() as session:
        alerts = await audit_log.trail(session, witness_store.WITNESS_TRAIL)
    assert [a.kind for a in alerts][-2:] == ["witness_conflict", "witness_conflict"]
    assert alerts[-1].actor == "demo-customs-engine" and alerts[-1].detail["cosigned_tree_size"] == size

    async with httpx.AsyncClient(base_url=partner.url, timeout=10) as client:
        seen = await client.get("/v1/audit/witness/logs", headers={"Authorization": f"Bearer {partner.auditor_token}"})
    assert seen.status_code == 200, seen.text
    [ours] = [log for log in seen.json() if log["origin"] == stack.settings.audit_log_origin]
    assert ours["agency"] == "DEMO-CUSTOMS" and ours["cosigned"]["tree_size"] == size
    assert [c["tree_size"] for c in ours["conflicts"]][-2:] == [size, size + 1]
    assert "another root hash" in ours["conflicts"][-2]["conflict"]


async def test_the_partner_refuses_a_bad_signature_and_strangers(stack: Stack, partner: Partner) -> None:
    await _round(stack, partner)
    checkpoint, _ = await _cosigned(stack, partner)
    body, lines = split_note(checkpoint["note"])
    dash, name, sig = lines[0].split(" ")
    raw = bytearray(base64.b64decode(sig))
    raw[-1] ^= 1
    bad = f"{body}\n{dash} {name} {b64(bytes(raw))}\n"
    response = await _post(partner, audit_cosign.submission(checkpoint["tree_size"], [], bad))
    assert response.status_code == 403, response.text

    note = f"{body}\n{lines[0]}\n"
    stale = await _post(partner, audit_cosign.submission(0, [], note))
    assert stale.status_code == 409 and stale.headers["content-type"].startswith("text/x.tlog.size")
    assert int(stale.text) == checkpoint["tree_size"]
    again = await _post(partner, audit_cosign.submission(checkpoint["tree_size"], [], note))
    assert again.status_code == 200 and again.text.startswith(f"\u2014 {PARTNER_WITNESS} ")

    other = await _post(partner, audit_cosign.submission(checkpoint["tree_size"], [], note), partner.stranger_token)
    assert other.status_code == 403 and "only a principal of DEMO-CUSTOMS" in other.json()["detail"]
    async with httpx.AsyncClient(base_url=partner.url, timeout=10) as client:
        anonymous = await client.post("/v1/audit/witness/add-checkpoint", content=b"old 0\n\n")
    assert anonymous.status_code == 401


def cosign_cli(stack: Stack, witnesses: list[dict[str, str]]) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": stack.db.url,
        "DATA_DIR": str(stack.settings.data_dir),
        "AUDIT_LOG_ORIGIN": stack.settings.audit_log_origin,
        "AUDIT_WITNESSES": json.dumps(witnesses),
    }
    command = [sys.executable, "-m", "stack.cli", "audit", "cosign"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


async def test_clearance_audit_cosign_has_the_partner_cosign_now(stack: Stack, partner: Partner) -> None:
    mrn = (await lodge(stack, example("green-lane")))["mrn"]
    await wait_for(stack, mrn, completed)
    done = await asyncio.to_thread(cosign_cli, stack, [{"agency": PARTNER, "url": partner.url, "token": partner.token}])
    assert done.returncode == 0, done.stdout + done.stderr
    body, lines = split_note(done.stdout)
    [line] = [line for line in lines if line.split(" ")[1] == PARTNER_WITNESS]
    check_cosignature(line, body, PARTNER_WITNESS, partner.public_key)

    await wait_for(stack, (await lodge(stack, example("green-lane")))["mrn"], completed)  # a new checkpoint to sign
    refused = await asyncio.to_thread(cosign_cli, stack, [{"agency": PARTNER, "url": partner.url, "token": "wrong"}])
    assert refused.returncode == 1 and f"not cosigned by {PARTNER}" in refused.stderr, refused.stdout + refused.stderr
