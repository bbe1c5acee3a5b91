"""The transparency log in the store, on SQLite and PostgreSQL: leaves, chains, idempotent and concurrent
appends, proofs against a tree computed here from the RFC's definition, checkpoints, and `verify_database`
(and the `clearance audit verify` command) naming each kind of tampering."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from domain.clearance import AuditEvent
from store import audit_log
from store import audit_merkle as merkle
from store.audit_note import load_signer, parse_checkpoint
from store.audit_verify import verify_database
from store.db import Database
from tests.conftest import POSTGRES_ADMIN_URL
from tests.support import ROOT

ORIGIN = "test.customs.example/log"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def events(seqs: list[int], kind: str = "task_created", **detail: object) -> list[AuditEvent]:
    return [
        AuditEvent(seq=s, at=T0 + timedelta(seconds=s % 1000), kind=kind, actor="inspector", detail={"n": s, **detail})
        for s in seqs
    ]


def mrn(n: int) -> str:
    return f"26DE{n:013d}X"


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH, written from the definition."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


@pytest.fixture(params=["sqlite", "postgresql"])
async def log_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh database per test: tampering must not leak into other tests' logs."""
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'log.db'}")
        await db.init()
        yield db
        await db.dispose()
        return
    name = f"audit_log_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    db = Database(f"{base}/{name}")
    await db.init()
    yield db
    await db.dispose()
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def signer(tmp_path: Path) -> audit_log.LogSigner:
    return load_signer(tmp_path / "keys" / "log.pem", ORIGIN)


async def append(db: Database, mrn_: str, batch: list[AuditEvent]) -> int:
    async with db.writer() as session:
        appended = await audit_log.append(session, mrn_, batch)
        await session.commit()
    return appended


async def leaves(db: Database) -> list[tuple[str, int, bytes]]:
    async with db.session() as session:
        rows = await session.exec(text("SELECT mrn, seq, leaf FROM audit_events ORDER BY leaf_index"))  # type: ignore[call-overload]
        return [(m, s, leaf.encode()) for m, s, leaf in rows.all()]


async def test_events_become_chained_leaves_with_the_documented_encoding(log_db: Database) -> None:
    await append(log_db, mrn(1), events([1, 2]))
    await append(log_db, mrn(2), events([1]))
    await append(log_db, mrn(1), events([1_000_001], detail_text="Zoll-Prüfung"))
    rows = await leaves(log_db)
    assert [(m, s) for m, s, _ in rows] == [(mrn(1), 1), (mrn(1), 2), (mrn(2), 1), (mrn(1), 1_000_001)]
    first, second, other, inspection = (json.loads(leaf) for _, _, leaf in rows)
    assert rows[0][2] == (
        b'{"actor":"inspector","at":"2026-03-01T09:00:01.000000Z","detail":{"n":1},"kind":"task_created",'
        b'"leaf_index":0,"mrn":"26DE0000000000001X","prev_hash":null,"seq":1}'
    )
    assert "Zoll-Prüfung".encode() in rows[3][2]  # UTF-8, not \u escapes
    leaf_hash = [hashlib.sha256(b"\x00" + leaf).digest() for _, _, leaf in rows]
    assert second["prev_hash"] == base64.b64encode(leaf_hash[0]).decode()
    assert other["prev_hash"] is None  # another clearance's chain
    assert inspection["prev_hash"] == base64.b64encode(leaf_hash[1]).decode()  # the inspection among the parent's
    assert first["leaf_index"] == 0 and inspection["leaf_index"] == 3


async def test_a_retried_append_logs_nothing_twice(log_db: Database) -> None:
    assert await append(log_db, mrn(1), events([1, 2, 3])) == 3
    assert await append(log_db, mrn(1), events([1, 2, 3])) == 0
    assert await append(log_db, mrn(1), events([3, 4])) == 1
    async with log_db.session() as session:
        assert await audit_log.tree_size(session) == 4
    assert [s for _, s, _ in await leaves(log_db)] == [1, 2, 3, 4]


async def test_concurrent_writers_get_one_gapless_order(log_db: Database, signer: audit_log.LogSigner) -> None:
    """Writers of 20 clearances race (on SQLite through two engines, as the API and worker processes do)."""
    other = Database(log_db.url)
    try:

        async def clearance(n: int) -> None:
            for batch in range(5):
                await append(log_db if n % 2 else other, mrn(n), events([batch * 3 + 1, batch * 3 + 2, batch * 3 + 3]))

        await asyncio.gather(*(clearance(n) for n in range(20)))
    finally:
        await other.dispose()
    rows = await leaves(log_db)
    assert len(rows) == 300
    for n in range(20):
        assert [s for m, s, _ in rows if m == mrn(n)] == list(range(1, 16))
    await audit_log.publish_checkpoint(log_db, signer)
    report = await verify_database(log_db, name=ORIGIN, public_key=signer.public_key)
    assert report.ok, report.problems
    assert report.tree_size == 300 and report.unsigned == 0


async def test_proofs_match_the_tree_defined_by_the_rfc(log_db: Database) -> None:
    for n in range(37):
        await append(log_db, mrn(n % 5), events([n + 1]))
    data = [leaf for _, _, leaf in await leaves(log_db)]
    async with log_db.session() as session:
        for size in (1, 2, 3, 8, 13, 32, 37):
            root = mth(data[:size])
            assert await audit_log.root_at(session, size) == root
            for index in range(size):
                path = await audit_log.inclusion_proof(session, index, size)
                assert merkle.verify_inclusion(index, size, merkle.leaf_hash(data[index]), path, root)
            for old in range(1, size + 1):
                proof = await audit_log.consistency_proof(session, old, size)
                assert merkle.verify_consistency(old, size, mth(data[:old]), root, proof)
        with pytest.raises(audit_log.TreeSizeError):
            await audit_log.inclusion_proof(session, 3, 38)
        with pytest.raises(audit_log.TreeSizeError):
            await audit_log.consistency_proof(session, 5, 4)


async def test_an_outcome_is_signed_at_once_and_the_interval_only_when_the_tree_grew(
    log_db: Database, signer: audit_log.LogSigner
) -> None:
    await append(log_db, mrn(1), events([1, 2]))
    assert await audit_log.publish_checkpoint(log_db, signer) == 2
    assert await audit_log.publish_checkpoint(log_db, signer) is None  # nothing new
    audit_log.use_signer(log_db, signer)
    await append(log_db, mrn(1), [*events([3]), *events([4], kind="outcome")])
    async with log_db.session() as session:
        signed = await audit_log.checkpoints(session)
    assert [(c.tree_size, c.reason) for c in signed] == [(2, "interval"), (4, "outcome")]
    data = [leaf for _, _, leaf in await leaves(log_db)]
    checkpoint = parse_checkpoint(signed[-1].note, ORIGIN, signer.public_key)
    assert (checkpoint.tree_size, checkpoint.root_hash) == (4, mth(data))


# --- tampering -------------------------------------------------------------------------------------------


async def signed_log(db: Database, signer: audit_log.LogSigner) -> None:
    """Three clearances, their events interleaved, then a checkpoint."""
    for step in range(4):
        for n in (1, 2, 3):
            await append(db, mrn(n), events([step + 1]))
    await audit_log.publish_checkpoint(db, signer)


async def sql(db: Database, *statements: str, **params: object) -> None:
    async with db.writer() as session:
        for statement in statements:
            await session.exec(text(statement), params=params)  # type: ignore[call-overload]
        await session.commit()


def as_json(db: Database, param: str) -> str:
    return f"CAST(:{param} AS json)" if db.dialect == "postgresql" else f":{param}"


async def first_problem(db: Database, signer: audit_log.LogSigner) -> tuple[str, str]:
    report = await verify_database(db, name=ORIGIN, public_key=signer.public_key)
    assert not report.ok
    return report.problems[0].kind, report.problems[0].message


async def test_an_untouched_log_verifies(log_db: Database, signer: audit_log.LogSigner) -> None:
    await signed_log(log_db, signer)
    report = await verify_database(log_db, name=ORIGIN, public_key=signer.public_key)
    assert report.ok, report.problems
    assert (report.events, report.checkpoints) == (12, 1)


async def test_an_edited_row_is_named(log_db: Database, signer: audit_log.LogSigner) -> None:
    await signed_log(log_db, signer)
    await sql(log_db, f"UPDATE audit_events SET actor = 'someone-else' WHERE mrn = '{mrn(2)}' AND seq = 3")
    kind, message = await first_problem(log_db, signer)
    assert kind == "edited" and f"event 3 of {mrn(2)} at leaf 7" in message and "actor" in message


async def test_a_row_edited_with_its_leaf_and_hash_is_still_caught(
    log_db: Database, signer: audit_log.LogSigner
) -> None:
    await signed_log(log_db, signer)
    async with log_db.session() as session:
        row = await audit_log.event(session, mrn(1), 2)
        assert row is not None
    forged = json.loads(row.leaf)
    forged["detail"] = {"n": 999}
    leaf = audit_log.canonical_json(forged)
    await sql(
        log_db,
        f"UPDATE audit_events SET detail = {as_json(log_db, 'detail')}, leaf = :leaf, leaf_hash = :hash "
        "WHERE mrn = :mrn AND seq = 2",
        detail='{"n": 999}',
        leaf=leaf.decode(),
        hash=merkle.leaf_hash(leaf),
        mrn=mrn(1),
    )
    kind, message = await first_problem(log_db, signer)
    assert kind == "edited" and f"event 2 of {mrn(1)} at leaf 3 is not the leaf the log appended" in message


async def test_a_deleted_row_is_named(log_db: Database, signer: audit_log.LogSigner) -> None:
    await signed_log(log_db, signer)
    await sql(log_db, f"DELETE FROM audit_events WHERE mrn = '{mrn(3)}' AND seq = 2")  # leaf 5
    kind, message = await first_problem(log_db, signer)
    assert kind == "deleted" and "leaf 5 is missing" in message


async def test_a_deleted_last_row_is_caught_by_the_checkpoint(log_db: Database, signer: audit_log.LogSigner) -> None:
    await signed_log(log_db, signer)
    await sql(log_db, "DELETE FROM audit_events WHERE leaf_index = 11")
    report = await verify_database(log_db, name=ORIGIN, public_key=signer.public_key)
    assert any(
        p.kind == "deleted" and "signs 12 events but the database holds 11" in p.message for p in report.problems
    )


async def test_reordered_rows_are_named(log_db: Database, signer: audit_log.LogSigner) -> None:
    await signed_log(log_db, signer)
    await sql(  # swap two events of clearance 1 (leaves 3 and 9)
        log_db,
        "UPDATE audit_events SET leaf_index = -1 WHERE leaf_index = 3",
        "UPDATE audit_events SET leaf_index = 3 WHERE leaf_index = 9",
        "UPDATE audit_events SET leaf_index = 9 WHERE leaf_index = -1",
    )
    kind, message = await first_problem(log_db, signer)
    assert kind == "reordered" and f"event 4 of {mrn(1)} at leaf 3 was appended as leaf 9" in message


async def forge(db: Database, *, leaf_index: int, mrn_: str, seq: int, after: tuple[str, int] | None) -> None:
    """Insert a well-formed event at `leaf_index`, chained to the event `after`, as someone with SQL access
    but without the log's code would."""
    prev = None
    if after is not None:
        async with db.session() as session:
            row = await audit_log.event(session, *after)
            assert row is not None
        prev = bytes(row.leaf_hash)
    fields = audit_log.leaf_fields(
        leaf_index=leaf_index, mrn=mrn_, seq=seq, at=T0, kind="approval", actor="supervisor", detail={}, prev_hash=prev
    )
    leaf = audit_log.canonical_json(fields)
    await sql(
        db,
        "INSERT INTO audit_events (mrn, seq, at, kind, actor, detail, leaf_index, leaf_hash, prev_hash, leaf) VALUES "
        f"(:mrn, :seq, :at, 'approval', 'supervisor', {as_json(db, 'detail')}, :index, :hash, :prev, :leaf)",
        mrn=mrn_,
        seq=seq,
        at=T0.replace(tzinfo=None),
        detail="{}",
        index=leaf_index,
        hash=merkle.leaf_hash(leaf),
        prev=prev,
        leaf=leaf.decode(),
    )


async def test_an_inserted_row_is_named(log_db: Database, signer: audit_log.LogSigner) -> None:
    """A forged, well-formed event slipped in at leaf 4 (the rows after it renumbered), chained to its
    clearance's previous event."""
    await signed_log(log_db, signer)
    await sql(
        log_db,
        "UPDATE audit_events SET leaf_index = -leaf_index - 100 WHERE leaf_index >= 4",
        "UPDATE audit_events SET leaf_index = -leaf_index - 99 WHERE leaf_index <= -100",
    )
    await forge(log_db, leaf_index=4, mrn_=mrn(2), seq=50, after=(mrn(2), 1))
    kind, message = await first_problem(log_db, signer)
    assert kind == "inserted" and f"event 50 of {mrn(2)} at leaf 4" in message


async def test_a_row_appended_behind_the_logs_back_is_named(log_db: Database, signer: audit_log.LogSigner) -> None:
    await signed_log(log_db, signer)
    await forge(log_db, leaf_index=12, mrn_=mrn(1), seq=50, after=(mrn(1), 4))
    kind, message = await first_problem(log_db, signer)
    assert kind == "inserted" and f"event 50 of {mrn(1)} at leaf 12 was never appended" in message


async def test_a_forged_checkpoint_is_refused(log_db: Database, signer: audit_log.LogSigner, tmp_path: Path) -> None:
    await signed_log(log_db, signer)
    impostor = load_signer(tmp_path / "impostor.pem", ORIGIN)
    await append(log_db, mrn(1), events([5]))
    await audit_log.publish_checkpoint(log_db, impostor)
    report = await verify_database(log_db, name=ORIGIN, public_key=signer.public_key)
    assert [p.kind for p in report.problems] == ["checkpoint"]
    assert "tree size 13" in report.problems[0].message and "no signature" in report.problems[0].message


async def test_the_verify_command_exits_non_zero_naming_the_row(
    log_db: Database, signer: audit_log.LogSigner, tmp_path: Path
) -> None:
    await signed_log(log_db, signer)
    env = {
        **os.environ,
        "DATABASE_URL": log_db.url,
        "AUDIT_LOG_KEY_FILE": str(tmp_path / "keys" / "log.pem"),
        "AUDIT_LOG_ORIGIN": ORIGIN,
        "DATA_DIR": str(tmp_path),
    }

    def verify() -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "stack.cli", "audit", "verify"]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    clean = verify()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.startswith("OK 12 events, tree size 12, 1 checkpoints")
    await sql(log_db, f"UPDATE audit_events SET kind = 'outcome' WHERE mrn = '{mrn(3)}' AND seq = 1")
    tampered = verify()
    assert tampered.returncode == 1
    assert f"FAIL edited: event 1 of {mrn(3)} at leaf 2: kind differ" in tampered.stdout
