"""Witnessing in the store, the witness's database on SQLite and PostgreSQL: our log's checkpoints cosigned by a
partner's witness (`adapters.witness.EmbeddedWitness` on the partner's own database, the checks of
`store/witness.py`), the witness's refusals as c2sp.org/tlog-witness names them, a forked log refused and recorded
as an alert and an audit event, concurrent submissions serialised, and `clearance audit verify`'s database check
reporting and checking cosignatures."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from cryptography.exceptions import InvalidSignature
from sqlalchemy import select, text

from adapters.witness import EmbeddedWitness, configured_witnesses
from domain.agencies import AgencyKey, load_registry
from domain.clearance import AuditEvent
from settings import Settings, WitnessConfig
from store import agencies, audit_cosign, audit_log
from store import witness as witness_store
from store.audit_cosign import WitnessRefused, WitnessSizeConflict
from store.audit_note import Checkpoint, Cosigner, LogSigner, b64, load_or_create_key, load_signer, split_note
from store.audit_verify import verify_database
from store.db import Database
from store.models import AuditCosignature, AuditRecord
from tests.conftest import POSTGRES_ADMIN_URL
from tests.support import ROOT
from tests.witness_support import check_cosignature, forked

ORIGIN = "clearance.demo-customs.example/log"
WITNESS_NAME = "clearance.demo-partner-customs.example/witness"
LOG_AGENCY, WITNESS_AGENCY = "DEMO-CUSTOMS", "DEMO-PARTNER-CUSTOMS"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def _registry(db: Database) -> Database:
    await db.init()
    async with db.session() as session:
        await agencies.load(session, load_registry(ROOT / "reference" / "agencies.yaml"))
    return db


@pytest.fixture(params=["sqlite", "postgresql"])
async def witness_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """The partner's database, fresh per test (refusals leave rows)."""
    if request.param == "sqlite":
        db = await _registry(Database(f"sqlite+aiosqlite:///{tmp_path / 'witness.db'}"))
        yield db
        await db.dispose()
        return
    name = f"witness_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    db = await _registry(Database(f"{base}/{name}"))
    yield db
    await db.dispose()
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Pair:
    log: Database
    signer: LogSigner
    witness_db: Database
    cosigner: Cosigner
    witness: EmbeddedWitness

    @property
    def keys(self) -> tuple[bytes, ...]:
        return (self.cosigner.public_key,)

    async def grow(self, n: int, mrn: str = "26DE0000000000001X") -> None:
        async with self.log.writer() as session:
            start = len(await audit_log.trail(session, mrn))
            await audit_log.append(
                session,
                mrn,
                [
                    AuditEvent(seq=s, at=T0 + timedelta(seconds=s), kind="task_created", actor="inspector")
                    for s in range(start, start + n)
                ],
            )
            await session.commit()
        await audit_log.publish_checkpoint(self.log, self.signer)

    async def latest_note(self) -> str:
        async with self.log.session() as session:
            latest = await audit_log.latest_checkpoint(session)
        assert latest is not None
        return latest.note

    async def leaves(self) -> list[bytes]:
        async with self.log.session() as session:
            query = select(AuditRecord).order_by(audit_log.EVENTS.c.leaf_index)
            rows = (await session.exec(query)).scalars().all()  # type: ignore[call-overload]
        return [r.leaf.encode() for r in rows]

    async def submit(self, old: int, note: str, proof: list[bytes] | None = None) -> str:
        return await self.witness.add_checkpoint(audit_cosign.submission(old, proof or [], note))


@pytest.fixture
async def pair(witness_db: Database, tmp_path: Path) -> AsyncIterator[Pair]:
    log = await _registry(Database(f"sqlite+aiosqlite:///{tmp_path / 'log.db'}"))
    signer = load_signer(tmp_path / "keys" / "log.pem", ORIGIN)
    cosigner = Cosigner(name=WITNESS_NAME, private_key=load_or_create_key(tmp_path / "keys" / "witness.pem"))
    async with witness_db.writer() as session:  # the partner's registry holds our log key ...
        await agencies.add_key(session, LOG_AGENCY, AgencyKey(key_id="log", public_key=b64(signer.public_key)))
        await session.commit()
    async with log.writer() as session:  # ... and ours the partner's witness key
        await agencies.add_key(session, WITNESS_AGENCY, AgencyKey(key_id="w", public_key=b64(cosigner.public_key)))
        await session.commit()
    async with witness_db.session() as session:
        trusted = await witness_store.trusted_keys(session, excluding=WITNESS_AGENCY)
    assert [k.agency for k in trusted] == [LOG_AGENCY]
    witness = EmbeddedWitness(WITNESS_AGENCY, witness_db, cosigner, trusted[0])
    yield Pair(log=log, signer=signer, witness_db=witness_db, cosigner=cosigner, witness=witness)
    await log.dispose()


async def _alerts(db: Database) -> list[AuditRecord]:
    async with db.session() as session:
        return await audit_log.trail(session, witness_store.WITNESS_TRAIL)


async def test_the_witness_cosigns_a_growing_log_and_keeps_each_checkpoint(pair: Pair) -> None:
    await pair.grow(3)
    assert await audit_cosign.request_cosignature(pair.log, pair.witness, pair.keys) == 3
    assert await audit_cosign.request_cosignature(pair.log, pair.witness, pair.keys) is None  # nothing new
    await pair.grow(5)
    assert await audit_cosign.request_cosignature(pair.log, pair.witness, pair.keys) == 8  # old 3 + proof 3 → 8

    kept = await witness_store.kept_checkpoints(pair.witness_db, witness=WITNESS_NAME, origin=ORIGIN)
    assert [(k.tree_size, k.cosigned, k.agency) for k in kept] == [(3, True, LOG_AGENCY), (8, True, LOG_AGENCY)]
    async with pair.log.session() as session:
        checkpoints = await audit_log.checkpoints(session)
        lines = {c.tree_size: await audit_cosign.cosignatures(session, c.tree_size) for c in checkpoints}
    for checkpoint in checkpoints:
        [cosignature] = lines[checkpoint.tree_size]
        body = split_note(checkpoint.note)[0]
        signed_at = check_cosignature(cosignature.line, body, WITNESS_NAME, pair.cosigner.public_key)
        assert signed_at == cosignature.signed_at
        note = audit_cosign.cosigned_note(checkpoint, [cosignature])
        assert note == f"{checkpoint.note}{cosignature.line}\n"  # the log's signature line, then the witness's

    report = await verify_database(pair.log, name=ORIGIN, public_key=pair.signer.public_key)
    assert report.ok, report.problems
    assert report.cosigned == {WITNESS_NAME: 2} and report.cosignatures_unchecked == 0


async def test_a_forked_log_is_refused_and_kept_as_an_alert(pair: Pair) -> None:
    await pair.grow(4)
    assert await audit_cosign.request_cosignature(pair.log, pair.witness, pair.keys) == 4
    leaves = await pair.leaves()
    rewritten = json.loads(leaves[1])
    rewritten["actor"] = "someone-else"  # a row rewritten, the tree recomputed and republished
    fork = [*leaves[:1], json.dumps(rewritten, sort_keys=True, separators=(",", ":")).encode(), *leaves[2:]]

    same_size, _ = forked(pair.signer, fork, 4)
    with pytest.raises(WitnessRefused) as refused:
        await pair.submit(4, same_size)
    assert refused.value.status == 409 and "another root hash" in refused.value.reason

    longer, proof = forked(pair.signer, [*fork, b'{"leaf_index":4}'], 4)
    with pytest.raises(WitnessRefused) as refused:
        await pair.submit(4, longer, proof)
    assert refused.value.status == 422 and "does not extend" in refused.value.reason

    kept = await witness_store.kept_checkpoints(pair.witness_db, witness=WITNESS_NAME)
    assert [(k.tree_size, k.cosigned, k.conflict is not None) for k in kept] == [
        (4, True, False),
        (4, False, True),
        (5, False, True),
    ]
    alerts = await _alerts(pair.witness_db)
    assert [a.kind for a in alerts] == ["witness_conflict", "witness_conflict"]
    assert alerts[0].detail["origin"] == ORIGIN and alerts[0].detail["cosigned_tree_size"] == 4
    assert alerts[1].detail["tree_size"] == 5
    # the witness's own log took the alerts as leaves: it verifies with them
    assert alerts[1].prev_hash == alerts[0].leaf_hash

    await pair.grow(2)  # the honest log goes on: still consistent with what was cosigned
    assert await audit_cosign.request_cosignature(pair.log, pair.witness, pair.keys) == 6


def _flipped(line: str, at: int) -> str:
    dash, name, sig = line.split(" ")
    raw = bytearray(base64.b64decode(sig))
    raw[at] ^= 1
    return f"{dash} {name} {b64(bytes(raw))}"


async def test_the_witness_refuses_as_the_spec_says(pair: Pair, tmp_path: Path) -> None:
    await pair.grow(2)
    note = await pair.latest_note()
    body, [line] = split_note(note)
    bad = f"{body}\n{_flipped(line, 10)}\n"
    with pytest.raises(WitnessRefused) as refused:
        await pair.submit(0, bad)
    assert refused.value.status == 403  # a registry key's id, a signature that does not verify

    stranger = load_signer(tmp_path / "stranger.pem", "stranger.example/log")
    with pytest.raises(WitnessRefused) as refused:
        await pair.submit(0, stranger.sign(Checkpoint("stranger.example/log", 1, b"\x01" * 32)))
    assert refused.value.status == 404  # an origin no registry key signs

    with pytest.raises(WitnessRefused) as refused:
        await pair.submit(3, note)
    assert refused.value.status == 400  # old size above the checkpoint's

    for garbage, loc in ((b"old 01\n\n" + note.encode(), "old"), (b"old 0\nAAAA\n\n" + note.encode(), "proof")):
        with pytest.raises(witness_store.WitnessRefusal) as invalid:
            witness_store.parse_submission(garbage)
        assert invalid.value.status == 422 and invalid.value.loc[:2] == ["body", loc]  # type: ignore[index]

    assert await pair.submit(0, note)  # trust on first use
    await pair.grow(1)
    with pytest.raises(WitnessSizeConflict) as stale:
        await pair.submit(0, await pair.latest_note())
    assert stale.value.tree_size == 2  # it tells the size it cosigned
    assert await _alerts(pair.witness_db) == []  # none of these is a fork


async def test_our_record_behind_the_witness_is_caught_up_from_its_size(pair: Pair) -> None:
    await pair.grow(2)
    assert await audit_cosign.request_cosignature(pair.log, pair.witness, pair.keys) == 2
    async with pair.log.writer() as session:  # our record of its cosignature lost (a restored database)
        await session.exec(text("DELETE FROM audit_cosignatures"))  # type: ignore[call-overload]
        await session.commit()
    await pair.grow(3)
    assert await audit_cosign.request_cosignature(pair.log, pair.witness, pair.keys) == 5  # 409 size 2, then 2 → 5


async def test_concurrent_submissions_from_one_size_cosign_only_one(pair: Pair) -> None:
    await pair.grow(2)
    assert await audit_cosign.request_cosignature(pair.log, pair.witness, pair.keys) == 2
    await pair.grow(2)
    four = await pair.latest_note()
    await pair.grow(3)
    seven = await pair.latest_note()
    async with pair.log.session() as session:
        proofs = [await audit_log.consistency_proof(session, 2, n) for n in (4, 7)]
    results = await asyncio.gather(
        pair.submit(2, four, proofs[0]), pair.submit(2, seven, proofs[1]), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in results) == ["WitnessSizeConflict", "str"]
    kept = await witness_store.kept_checkpoints(pair.witness_db, witness=WITNESS_NAME)
    assert [k.cosigned for k in kept].count(True) == 2  # size 2 and exactly one of 4, 7


async def test_verify_names_a_cosignature_that_was_changed(pair: Pair) -> None:
    await pair.grow(2)
    await audit_cosign.request_cosignature(pair.log, pair.witness, pair.keys)
    async with pair.log.writer() as session:
        row = (await session.exec(select(AuditCosignature))).scalars().one()  # type: ignore[call-overload]
        row.signed_at += 1  # the kept timestamp no longer the signed one
        session.add(row)
        await session.commit()
    report = await verify_database(pair.log, name=ORIGIN, public_key=pair.signer.public_key)
    assert [p.kind for p in report.problems] == ["cosignature"]
    async with pair.log.writer() as session:
        row = (await session.exec(select(AuditCosignature))).scalars().one()  # type: ignore[call-overload]
        row.signed_at -= 1
        row.line = _flipped(row.line, 40)  # a bit of the signature
        session.add(row)
        await session.commit()
    report = await verify_database(pair.log, name=ORIGIN, public_key=pair.signer.public_key)
    assert [p.kind for p in report.problems] == ["cosignature"]
    assert "does not verify" in str(report.problems[0])


async def test_the_publisher_has_the_embedded_partner_witness_cosign_each_checkpoint(tmp_path: Path) -> None:
    """`make run`'s setting: AUDIT_WITNESSES names DEMO-PARTNER-CUSTOMS without a url — a witness inside this engine
    with its own key, published in the registry, as `clearance audit verify` finds it."""
    db = await _registry(Database(f"sqlite+aiosqlite:///{tmp_path / 'engine.db'}"))
    settings = Settings(environment="test", data_dir=tmp_path, audit_witnesses=[WitnessConfig(agency=WITNESS_AGENCY)])
    signer = load_signer(settings.audit_log_key_path, settings.audit_log_origin)
    witnesses = await configured_witnesses(settings, db, signer)
    pair = Pair(
        log=db, signer=signer, witness_db=db, cosigner=witnesses[0].witness.cosigner, witness=witnesses[0].witness
    )  # type: ignore[attr-defined]
    publisher = asyncio.create_task(audit_cosign.publish_and_witness(db, signer, 0.05, witnesses))
    try:
        for n in (2, 3):
            await pair.grow(n)
            async with asyncio.timeout(10):
                while True:
                    async with db.session() as session:
                        latest = await audit_log.latest_checkpoint(session)
                        assert latest is not None
                        if await audit_cosign.cosignatures(session, latest.tree_size):
                            break
                    await asyncio.sleep(0.05)
    finally:
        publisher.cancel()
        await asyncio.gather(publisher, return_exceptions=True)
    async with db.session() as session:
        registry = {a.id: [k.key_id for k in a.keys] for a in await agencies.all_agencies(session)}
    assert registry[WITNESS_AGENCY] == ["audit-witness"] and registry[LOG_AGENCY] == ["audit-log"]
    report = await verify_database(db, name=settings.audit_log_origin, public_key=signer.public_key)
    assert report.ok and report.cosigned == {"demo-partner-customs.witness.example": 2}, report
    await db.dispose()


def test_an_embedded_witness_is_refused_in_production() -> None:
    with pytest.raises(ValueError, match="AUDIT_WITNESSES"):
        Settings(
            environment="production",
            database_url="postgresql://db/clearance",
            audit_witnesses=[WitnessConfig(agency=WITNESS_AGENCY)],
        )


async def test_the_readme_recipe_verifies_a_cosigned_checkpoint(pair: Pair) -> None:
    """The README's `cosigned_by`, run as written, accepts the witness's line and refuses another key."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Witnesses: partners cosign") :]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    scope: dict[str, object] = {"__name__": "readme"}
    exec(compile(code, "README.md", "exec"), scope)
    cosigned_by = scope["cosigned_by"]
    await pair.grow(3)
    await audit_cosign.request_cosignature(pair.log, pair.witness, pair.keys)
    async with pair.log.session() as session:
        latest = await audit_log.latest_checkpoint(session)
        assert latest is not None
        note = audit_cosign.cosigned_note(latest, await audit_cosign.cosignatures(session, latest.tree_size))
        [row] = await audit_cosign.cosignatures(session, latest.tree_size)
    assert cosigned_by(note, WITNESS_NAME, pair.cosigner.public_key) == row.signed_at  # type: ignore[operator]
    with pytest.raises(SystemExit):
        cosigned_by(note, WITNESS_NAME, pair.signer.public_key)  # type: ignore[operator]
    with pytest.raises(InvalidSignature):  # a changed tree size
        cosigned_by(note.replace("\n3\n", "\n4\n"), WITNESS_NAME, pair.cosigner.public_key)  # type: ignore[operator]
