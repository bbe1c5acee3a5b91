"""store/fastsql.py: hot-path Core statements on SQLite's DBAPI connection store and read exactly what SQLAlchemy's
own execution does, in the caller's transaction; elsewhere (PostgreSQL) they go through SQLAlchemy unchanged."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, insert, select, text

from domain.clearance import AuditEvent, ProjectionInput, Status
from store import audit_log, clearances, exchange, fastsql
from store.db import Database
from store.models import ClearanceRecord, ExportExit, Principal
from tests.test_store import new_mrn, view

pytestmark = pytest.mark.store

CLEARANCES = ClearanceRecord.__table__  # type: ignore[attr-defined]
EXITS = ExportExit.__table__  # type: ignore[attr-defined]
INSERT_CLEARANCE = insert(CLEARANCES)
INSERT_PRINCIPAL = insert(Principal.__table__)  # type: ignore[attr-defined]
BY_MRNS = select(CLEARANCES).where(CLEARANCES.c.mrn.in_(bindparam("mrns", expanding=True))).order_by(CLEARANCES.c.mrn)


def _columns(mrn: str, revision: int) -> dict[str, object]:
    row = clearances._clearance_row(view(mrn, revision, Status.in_progress))
    row["lane"] = None  # a None next to values: stored as SQL NULL, as SQLAlchemy stores it
    return row


async def _stored(db: Database, mrn: str) -> tuple[object, ...]:
    """The row as the database holds it (text, not decoded), but for the view: JSON, written as pydantic encodes
    it on the fast path, as `json.dumps` does through SQLAlchemy."""
    cast = "CAST({} AS TEXT)" if db.dialect == "postgresql" else "quote({})"
    columns = ", ".join(cast.format(c.name) for c in CLEARANCES.columns if c.name not in ("mrn", "view"))
    async with db.session() as s:
        conn = await s.connection()
        found = (
            await conn.execute(text(f"SELECT {columns}, view FROM clearances WHERE mrn = :mrn"), {"mrn": mrn})
        ).one()
    *raw, stored_view = found
    return (*raw, json.loads(stored_view) if isinstance(stored_view, str) else stored_view)


async def test_a_write_stores_what_sqlalchemy_stores_and_reads_back_the_same(store_db: Database) -> None:
    fast_mrn, slow_mrn = new_mrn(), new_mrn()
    fast, slow = _columns(fast_mrn, 3), _columns(slow_mrn, 3)
    slow.update({k: v for k, v in fast.items() if k != "mrn"})
    slow["view"] = json.loads(str(fast["view"]))  # what SQLAlchemy's JSON type is given (fastsql.Json is text)
    before = fastsql.fallbacks
    async with store_db.writer() as s:
        written = await fastsql.changed(s, INSERT_CLEARANCE, fast)
        assert written == 1 or (store_db.dialect == "postgresql" and written == -1)  # psycopg's INSERT: unknown
        await (await s.connection()).execute(INSERT_CLEARANCE, slow)  # SQLAlchemy's own execution
        await s.commit()
    assert fastsql.fallbacks == before
    assert await _stored(store_db, fast_mrn) == await _stored(store_db, slow_mrn)
    found = await store_db.rows(BY_MRNS, {"mrns": sorted([fast_mrn, slow_mrn])})  # an expanding IN
    assert len(found) == 2
    by_mrn = {row.mrn: row for row in found}
    async with store_db.session() as s:
        model = await s.get(ClearanceRecord, fast_mrn)
    assert model is not None
    for name in ("view", "accepted_at", "updated_at", "revision", "lane", "status"):
        assert getattr(by_mrn[fast_mrn], name) == getattr(model, name) == getattr(by_mrn[slow_mrn], name), name
    assert by_mrn[fast_mrn].accepted_at.tzinfo is not None  # the column type's result processing applied
    assert found[0][0] == sorted([fast_mrn, slow_mrn])[0]  # by position too


async def test_the_outcome_transaction_runs_on_the_fast_path_and_in_the_callers_transaction(
    store_db: Database,
) -> None:
    """The statements of an outcome (the read model, the notice, the audit log with its checkpoint, the exit)
    take the fast path on SQLite, and a rollback takes them all back."""
    mrn = new_mrn()
    now = datetime.now(UTC)
    events = [AuditEvent(seq=1, at=now, kind="accepted", actor="t", detail={"n": 1})]
    before = fastsql.fallbacks
    async with store_db.writer() as s:
        await clearances.store_document(s, mrn=mrn, kind="notice", html="<p>x</p>", issued_at=now, commit=False)
        await exchange.start_exit(s, mrn, now + timedelta(days=30))
        await clearances.project(s, ProjectionInput(view=view(mrn, 1, Status.in_progress), audit=events))
    assert fastsql.fallbacks == before
    async with store_db.session() as s:
        trail = await audit_log.trail(s, mrn)
        exit_row = await exchange.get_exit(s, mrn)
        document = await clearances.get_document(s, mrn, "notice")
    assert [e.seq for e in trail] == [1] and trail[0].detail == {"n": 1}
    assert exit_row is not None and exit_row.status == "awaiting_exit" and exit_row.confirmed_at is None
    assert document is not None and document.html == "<p>x</p>"

    other = new_mrn()
    async with store_db.writer() as s:
        await clearances.store_document(s, mrn=other, kind="notice", html="y", issued_at=now, commit=False)
        assert await fastsql.first(s, select(CLEARANCES.c.mrn).where(CLEARANCES.c.mrn == mrn)) is not None
        await s.rollback()
    async with store_db.session() as s:
        assert await clearances.get_document(s, other, "notice") is None


async def test_an_insert_leaving_out_a_python_default_goes_through_sqlalchemy(store_db: Database) -> None:
    """A column's Python-side default is computed by SQLAlchemy's execution: such an insert is not run as compiled
    (it would store NULL) but handed back to SQLAlchemy."""
    pid = f"p-{uuid.uuid4().hex[:8]}"
    before = fastsql.fallbacks
    async with store_db.writer() as s:
        await fastsql.execute(s, INSERT_PRINCIPAL, {"id": pid, "name": "n", "agency": "DEMO-CUSTOMS", "roles": []})
        await s.commit()
    if store_db.dialect == "sqlite":
        assert fastsql.fallbacks == before + 1
    async with store_db.session() as s:
        row = await s.get(Principal, pid)
    assert row is not None and row.created_at is not None


async def test_in_lists_of_any_length_read_the_same_as_sqlalchemy(store_db: Database) -> None:
    """An expanding IN is expanded once per list length and reused: each length reads its own rows."""
    mrns = [new_mrn() for _ in range(3)]
    async with store_db.writer() as s:
        for mrn in mrns:
            await fastsql.execute(s, INSERT_CLEARANCE, _columns(mrn, 1))
        await s.commit()
    for chosen in ([mrns[0]], mrns[:2], mrns, [mrns[2], mrns[0]], [], [mrns[1]]):
        found = await store_db.rows(BY_MRNS, {"mrns": chosen})
        async with store_db.session() as s:
            expected = (await (await s.connection()).execute(BY_MRNS, {"mrns": chosen})).all()
        assert [row.mrn for row in found] == [row.mrn for row in expected] == sorted(chosen)
    settled = await clearances.settled_since(store_db, datetime.now(UTC) - timedelta(minutes=5), ("in_progress",))
    assert set(mrns) <= {mrn for mrn, _ in settled}
    assert await clearances.statuses_of(store_db, mrns[:2]) == dict.fromkeys(mrns[:2], "in_progress")


async def test_the_watchers_look_reads_only_rows_changed_within_its_look_back(store_db: Database) -> None:
    """The API's watcher of waiting requests asks every 50 ms which clearances settled lately: the answer has only
    settled rows changed since then, and on SQLite it comes from the updated_at index, so a look costs the rows
    of its look-back and not every settled clearance the table ever held (the status index, which SQLite's
    planner picked while the status was in the WHERE clause too)."""
    now = datetime.now(UTC)
    recent, busy, old = new_mrn(), new_mrn(), new_mrn()
    rows = {
        recent: ("completed", now - timedelta(seconds=1)),
        busy: ("in_progress", now - timedelta(seconds=1)),
        old: ("completed", now - timedelta(hours=1)),
    }
    async with store_db.writer() as s:
        for mrn, (status, updated_at) in rows.items():
            await fastsql.execute(s, INSERT_CLEARANCE, {**_columns(mrn, 1), "status": status, "updated_at": updated_at})
        await s.commit()
    settled = dict(await clearances.settled_since(store_db, now - timedelta(minutes=5), ("completed", "invalidated")))
    assert settled.get(recent) == "completed"
    assert busy not in settled and old not in settled
    if store_db.dialect == "sqlite":
        sql = str(clearances._SETTLED_SINCE.compile(dialect=store_db.engine.dialect))
        async with store_db.session() as s:
            conn = await s.connection()
            plan = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", (now.isoformat(),))).all()
        assert any("ix_clearances_updated" in str(step) for step in plan), plan


async def test_an_agencys_listing_is_read_in_order_from_its_index_a_page_at_a_time(store_db: Database) -> None:
    """`GET /v1/clearances` for an officer: a page of the agency's clearances, newest first, and the next from the
    cursor. On SQLite the page is read in order from ix_clearances_agency_listing: no sort of every clearance the
    agency has (what the agency index alone made it do, 26 ms a page at 20,000 rows), with or without a status."""
    agency = f"LIST-{uuid.uuid4().hex[:8]}"
    start = datetime(2026, 1, 1, tzinfo=UTC)
    mrns = [new_mrn() for _ in range(5)]
    async with store_db.writer() as s:
        for i, mrn in enumerate(mrns):
            row = {**_columns(mrn, 1), "agency": agency, "accepted_at": start + timedelta(minutes=i)}
            await fastsql.execute(s, INSERT_CLEARANCE, row)
        await s.commit()
    pages: list[list[str]] = []
    cursor = None
    async with store_db.session() as s:
        while True:
            found, cursor = await clearances.list_clearances(
                s, agency=agency, declarant_eori=None, status=None, lane=None, stage=None, limit=2, cursor=cursor
            )
            pages.append([r.mrn for r in found])
            if cursor is None:
                break
    assert pages == [mrns[4:2:-1], mrns[2:0:-1], mrns[:1]]
    if store_db.dialect == "sqlite":
        for status in (None, "completed"):
            query = clearances.listing_query(
                agency=agency, declarant_eori=None, status=status, lane=None, stage=None, limit=50, cursor=None
            )
            compiled = query.compile(dialect=store_db.engine.dialect)
            params = tuple(compiled.params[name] for name in compiled.positiontup)
            async with store_db.session() as s:
                conn = await s.connection()
                plan = [str(step) for step in (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params))]
            assert any("ix_clearances_agency_listing" in step for step in plan), plan
            assert not any("TEMP B-TREE" in step for step in plan), plan


async def test_a_single_write_commits_on_its_own_waits_for_a_held_database_and_survives_a_failure(
    store_db: Database,
) -> None:
    """`Database.write` (the API's accepted read model): one statement, its own transaction, under the writer's
    locks; it waits (without blocking the loop) while another connection holds the database, and a statement
    that fails takes nothing with it and leaves the next write working."""
    mrn = new_mrn()
    accepted = clearances._statements(store_db.dialect)["accepted"]
    written = await store_db.write(accepted, _columns(mrn, 0))
    assert written == 1 or (store_db.dialect == "postgresql" and written == -1)
    if store_db.dialect == "sqlite":
        assert await store_db.write(accepted, _columns(mrn, 0)) == 0  # on conflict: nothing
    found = await clearances.read_record(store_db, mrn)
    assert found is not None and found.revision == 0

    with pytest.raises(Exception, match=r"(?i)not null|null value"):
        await store_db.write(INSERT_CLEARANCE, {**_columns(new_mrn(), 0), "workflow_id": None})
    if store_db.dialect == "sqlite":  # another connection (no writer lock: a tool's) holds the database a moment
        other = new_mrn()
        async with store_db.session() as held:
            await (await held.connection()).exec_driver_sql("BEGIN IMMEDIATE")
            waiting = asyncio.create_task(store_db.write(accepted, _columns(other, 0)))
            await asyncio.sleep(0.05)
            assert not waiting.done()
            await held.rollback()
        assert await waiting == 1
        assert (await clearances.read_record(store_db, other)) is not None


def test_a_json_column_reads_as_the_standard_library_reads_it() -> None:
    """JSON columns read on the fast path are parsed by pydantic-core; what it refuses and `json` accepts (a lone
    surrogate escape a client may send) still reads, and a scalar SQLite returned as a number stays one."""
    for text_ in ['{"a": [1, 2.5, null, true, "\\u00e9"], "b": {"c": 12345678901234567890123}}', '"\\ud800 x"', "null"]:
        assert fastsql._json_result(text_) == json.loads(text_)
    assert fastsql._json_result(7) == 7 and fastsql._json_result(None) is None
