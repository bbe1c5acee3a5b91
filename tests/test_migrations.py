"""Schema migrations on SQLite and PostgreSQL: a database made by the previous release (9da2e84, tables from
`create_all`, DDL frozen in tests/legacy/) upgrades in place with its data intact; a fresh one is created by the
revisions and matches the models (this fails when a model changes without a migration); concurrent starts and a
failed upgrade leave the database consistent; `clearance db` reports and upgrades."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from asyncio.subprocess import PIPE
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, MetaData, inspect, text
from sqlmodel import SQLModel, col, select

from screening.lists import ListEntry
from store import audit_verify, licences, migrations, principals, screening_lists
from store.clearances import audit_trail, get_record
from store.db import Database, create_engine
from store.migrations import SchemaError
from store.models import (
    ApiToken,
    AuditRecord,
    ClearanceRecord,
    DocumentRecord,
    Licence,
    LicenceDepletion,
    LicenceItem,
    Principal,
    ScreeningList,
    ScreeningListEntry,
    SopVersionRecord,
    TaskRecord,
)
from tests.conftest import POSTGRES_ADMIN_URL
from tests.support import ROOT

LEGACY = Path(__file__).parent / "legacy"
T0 = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
T1 = datetime(2026, 3, 2, 11, 5, 0, tzinfo=UTC)
MRN = "26DE4F7K2M9Q1X3B85"
TOKEN = "legacy-token-issued-by-the-previous-release"


# --- databases -------------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """A factory of empty databases of one kind (each PostgreSQL one created here and dropped afterwards)."""
    created: list[str] = []

    def make() -> str:
        name = f"clearance_mig_{uuid.uuid4().hex[:10]}"
        if request.param == "sqlite":
            return f"sqlite+aiosqlite:///{tmp_path / name}.db"
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)

    yield make
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def on_connection(url: str, fn: Callable[[Connection], Any]) -> Any:
    """Run `fn` on a sync connection of a throwaway engine and commit."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            result = await conn.run_sync(fn)
            await conn.commit()
            return result
    finally:
        await engine.dispose()


def legacy_ddl(dialect: str) -> list[str]:
    lines = (LEGACY / f"release-9da2e84.{dialect}.sql").read_text().splitlines()
    sql = "\n".join(line for line in lines if not line.startswith("--"))
    return [statement.strip() for statement in sql.split(";") if statement.strip()]


def entry(entry_id: str, name: str) -> ListEntry:
    return ListEntry(list="demo-csl", entry_id=entry_id, name=name, alt_names=[f"{name} Ltd"], countries=["IR"])


# Rows of every kind, each table's in primary-key order.
ROWS: dict[type[SQLModel], list[dict[str, Any]]] = {
    Principal: [
        {"id": "declarant-1", "name": "Dieter Declarant", "agency": "DEMO-TRADER", "roles": ["declarant"],
         "eori": "DE555000111222333", "created_at": T0},
        {"id": "officer-1", "name": "Olga Officer", "agency": "DEMO-CUSTOMS", "roles": ["customs_officer"],
         "eori": None, "created_at": T0},
    ],
    ApiToken: [{"token_hash": principals.hash_token(TOKEN), "principal_id": "officer-1", "label": "demo",
                "created_at": T0}],
    SopVersionRecord: [{"name": "export-clearance", "version": 3, "hash": "ab" * 32, "definition": {"steps": []},
                        "published_at": T0, "published_by": "catalogue"}],
    Licence: [{"reference": "DE-DU-2026-00981", "holder_eori": "DE555000111222333", "destinations": ["JP"],
               "valid_from": date(2026, 1, 1), "valid_until": date(2099, 12, 31), "created_at": T0,
               "created_by": "export-control-1"}],
    LicenceItem: [{"id": 1, "licence_reference": "DE-DU-2026-00981", "line": 1, "control_code": "6A003",
                   "commodity_code": "9006", "quantity_unit": "pcs", "quantity_milli": 100_000,
                   "remaining_quantity_milli": 60_000, "value_currency": None, "value_cents": None,
                   "remaining_value_cents": None}],
    LicenceDepletion: [{"id": 1, "licence_reference": "DE-DU-2026-00981", "line": 1, "mrn": MRN, "item_sequence": 1,
                        "quantity_milli": 40_000, "value_cents": None, "depleted_at": T1, "restored_at": None,
                        "restore_reason": None}],
    ScreeningList: [{"name": "demo-csl", "revision": 3, "entry_count": 2, "imported_at": T0,
                     "imported_by": "list-admin"}],
    ScreeningListEntry: [
        {"list": "demo-csl", "entry_id": "E-1", "name": "Atlas Trading", "data": entry("E-1", "Atlas Trading")
         .model_dump(mode="json")},
        {"list": "demo-csl", "entry_id": "E-2", "name": "Borealis Ltd", "data": entry("E-2", "Borealis Ltd")
         .model_dump(mode="json")},
    ],
    ClearanceRecord: [{"mrn": MRN, "workflow_id": "clearance-4F7K2M9Q1X3B8", "lrn": "LRN-0001",
                       "declarant_eori": "DE555000111222333", "agency": "DEMO-CUSTOMS", "status": "awaiting_tasks",
                       "stage": "inspection", "lane": "red", "outcome": None, "sop_name": "export-clearance",
                       "sop_version": 3, "accepted_at": T0, "updated_at": T1, "revision": 7,
                       "view": {"mrn": MRN, "stage": "inspection", "timeline": [{"at": T0.isoformat()}]}}],
    TaskRecord: [
        {"id": f"{MRN}-inspection-customs", "mrn": MRN, "workflow_id": "clearance-4F7K2M9Q1X3B8", "kind": "inspection",
         "role": "inspector", "agency": "DEMO-CUSTOMS", "state": "claimed", "assignee": "officer-1", "due_at": T1,
         "created_at": T0, "version": 2, "data": {"comments": []}},
        {"id": f"{MRN}-inspection-export", "mrn": MRN, "workflow_id": "clearance-4F7K2M9Q1X3B8", "kind": "inspection",
         "role": "export_control_officer", "agency": "DEMO-EXPORT-CONTROL", "state": "open", "assignee": None,
         "due_at": T1, "created_at": T0, "version": 1, "data": {}},
    ],
    AuditRecord: [
        {"mrn": MRN, "seq": seq, "at": T0, "kind": kind, "actor": actor, "detail": {"n": seq}}
        for seq, kind, actor in ((1, "accepted", None), (2, "lane_assigned", None), (3, "task_claimed", "officer-1"))
    ],
    DocumentRecord: [{"mrn": MRN, "kind": "inspection-order", "issued_at": T1, "html": "<p>inspect</p>"}],
}


async def create_previous_release_database(url: str) -> None:
    """What release 9da2e84 left behind: its create_all tables, no alembic_version, rows written in its formats."""

    def build(conn: Connection) -> None:
        for statement in legacy_ddl(conn.dialect.name):
            conn.exec_driver_sql(statement)
        tables = MetaData()
        tables.reflect(conn)  # the old schema's own column types format the values, as the old code's did
        for model, rows in ROWS.items():
            conn.execute(tables.tables[model.__tablename__].insert(), rows)  # type: ignore[attr-defined]

    await on_connection(url, build)


def schema(conn: Connection) -> dict[str, Any]:
    """Everything about the tables that matters: columns in order with types, nullability and defaults, keys,
    indexes and unique constraints."""
    inspector = inspect(conn)
    return {
        table: {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default")) for c in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign_keys": sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (ix["name"], tuple(ix["column_names"]), bool(ix["unique"])) for ix in inspector.get_indexes(table)
            ),
            "unique": sorted(tuple(uc["column_names"]) for uc in inspector.get_unique_constraints(table)),
        }
        for table in sorted(inspector.get_table_names())
        if table != "alembic_version"
    }


def model_diff(conn: Connection) -> list[Any]:
    """What `alembic check` reports: the differences between the database and the models."""
    options = migrations.configure_options()
    context = MigrationContext.configure(conn, opts={"compare_type": options["compare_type"]})
    return compare_metadata(context, options["target_metadata"])


def version_rows(conn: Connection) -> list[str]:
    return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


# --- tests -----------------------------------------------------------------------------------------------


async def test_fresh_database_is_created_by_the_migrations_and_matches_the_models(
    new_database: Callable[[], str],
) -> None:
    url = new_database()
    db = Database(url)
    try:
        await db.init()
        await db.init()  # a second start is a no-op
        assert await migrations.status(db.engine) == (migrations.head(), None)
    finally:
        await db.dispose()
    # An empty diff here is what catches a model changed without a migration (see README, Schema migrations).
    assert await on_connection(url, model_diff) == []
    assert await on_connection(url, version_rows) == [migrations.head()]


async def test_baseline_is_exactly_the_previous_release_schema(new_database: Callable[[], str]) -> None:
    released, migrated = new_database(), new_database()
    await on_connection(released, lambda conn: [conn.exec_driver_sql(s) for s in legacy_ddl(conn.dialect.name)])
    await on_connection(migrated, lambda conn: command.upgrade(migrations.alembic_config(conn), migrations.BASELINE))
    assert await on_connection(released, schema) == await on_connection(migrated, schema)


async def test_previous_release_database_upgrades_in_place_with_its_data(new_database: Callable[[], str]) -> None:
    url, fresh = new_database(), new_database()
    await create_previous_release_database(url)
    db = Database(url)
    try:
        assert await migrations.status(db.engine) == (None, migrations.BASELINE)
        await db.init()
        assert await migrations.status(db.engine) == (migrations.head(), None)
        async with db.session() as session:
            for model, rows in ROWS.items():
                key = [col(c) for c in model.__table__.primary_key.columns]  # type: ignore[attr-defined]
                found = (await session.exec(select(model).order_by(*key))).all()
                assert [row.model_dump(include=set(rows[0])) for row in found] == rows, model.__tablename__
            entries = (await session.exec(select(ScreeningListEntry))).all()
            assert {(e.revision, e.content_hash) for e in entries} == {(0, "")}  # the new columns' defaults

            # The new code works on the old data: tokens, balances, read models, audit trail, delta imports.
            assert (await principals.principal_for_token(session, TOKEN)).id == "officer-1"  # type: ignore[union-attr]
            view = await licences.get_view(session, "DE-DU-2026-00981", today=date(2026, 6, 1))
            assert view is not None and view.items[0].remaining.quantity.value == Decimal("60")  # type: ignore[union-attr]
            assert [d.mrn for d in view.depletions] == [MRN]
            record = await get_record(session, MRN)
            assert record is not None and record.view == ROWS[ClearanceRecord][0]["view"]
            assert [e.kind for e in await audit_trail(session, MRN)] == ["accepted", "lane_assigned", "task_claimed"]
        # The old events are leaves of the verifiable log now: the tree recomputes and every chain link holds.
        report = await audit_verify.verify_database(db, name="test", public_key=b"\x00" * 32)
        assert report.problems == [] and (report.events, report.tree_size) == (3, 3)
        same = [entry("E-1", "Atlas Trading"), entry("E-2", "Borealis Ltd")]
        async with db.writer() as session:
            first = await screening_lists.replace_list(session, name="demo-csl", entries=same, by="tests")
        async with db.writer() as session:
            second = await screening_lists.replace_list(session, name="demo-csl", entries=same, by="tests")
        assert (first.revision, len(first.changed)) == (4, 2)  # entries from before the migration count as changed once
        assert (second.revision, second.changed) == (5, [])
    finally:
        await db.dispose()
    assert await on_connection(url, model_diff) == []
    await Database(fresh).init()
    assert await on_connection(url, schema) == await on_connection(fresh, schema)


# What main's create_all added to the previous release's tables between 9da2e84 and migrations (revision 0002).
MAIN_BEFORE_MIGRATIONS = (
    "ALTER TABLE screening_list_entries ADD COLUMN revision INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE screening_list_entries ADD COLUMN content_hash VARCHAR(64) NOT NULL DEFAULT ''",
    "CREATE INDEX ix_screening_list_entries_list_revision ON screening_list_entries (list, revision)",
)


async def test_database_created_by_main_before_migrations_is_stamped_at_its_revision(
    new_database: Callable[[], str],
) -> None:
    url = new_database()
    await create_previous_release_database(url)
    for statement in MAIN_BEFORE_MIGRATIONS:
        await on_connection(url, lambda conn, statement=statement: conn.exec_driver_sql(statement))
    db = Database(url)
    try:
        assert await migrations.status(db.engine) == (None, "0002")
        await db.init()
        assert await migrations.status(db.engine) == (migrations.head(), None)
    finally:
        await db.dispose()
    assert await on_connection(url, model_diff) == []


async def test_a_failed_upgrade_changes_nothing(new_database: Callable[[], str]) -> None:
    url = new_database()
    await create_previous_release_database(url)
    # 0002 adds two columns and then fails creating its index, whose name this takes (index names are per schema).
    squat = "CREATE INDEX ix_screening_list_entries_list_revision ON principals (name)"
    await on_connection(url, lambda conn: conn.exec_driver_sql(squat))
    before = await on_connection(url, schema)
    db = Database(url)
    try:
        with pytest.raises(Exception, match="ix_screening_list_entries_list_revision"):
            await db.init()
        assert await migrations.status(db.engine) == (None, migrations.BASELINE)  # not even the stamp stayed
    finally:
        await db.dispose()
    assert await on_connection(url, schema) == before


async def test_a_database_from_a_newer_release_is_refused(new_database: Callable[[], str]) -> None:
    url = new_database()
    await Database(url).init()
    await on_connection(url, lambda conn: conn.execute(text("UPDATE alembic_version SET version_num = '9999'")))
    db = Database(url)
    try:
        with pytest.raises(SchemaError, match="9999"):
            await db.init()
    finally:
        await db.dispose()
    assert await on_connection(url, version_rows) == ["9999"]


STARTER = """
import asyncio, sys
from store.db import Database

async def main() -> None:
    db = Database(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        await db.init()
    finally:
        await db.dispose()

asyncio.run(main())
"""


@pytest.mark.parametrize("previous_release", [False, True], ids=["fresh", "previous-release"])
async def test_concurrent_starts_upgrade_once(new_database: Callable[[], str], previous_release: bool) -> None:
    """API, worker and seed starting at the same instant on one database: all succeed, the schema is right once."""
    url = new_database()
    if previous_release:
        await create_previous_release_database(url)
    starters = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", STARTER, url, cwd=ROOT, stdin=PIPE, stdout=PIPE, stderr=PIPE
        )
        for _ in range(3)
    ]
    try:
        for starter in starters:
            assert starter.stdout is not None and (await starter.stdout.readline()).strip() == b"ready"
        for starter in starters:  # let them all go at once
            assert starter.stdin is not None
            starter.stdin.write(b"go\n")
        await asyncio.gather(*(starter.stdin.drain() for starter in starters if starter.stdin))
        outputs = await asyncio.wait_for(asyncio.gather(*(starter.communicate() for starter in starters)), 120)
    finally:
        for starter in starters:
            if starter.returncode is None:
                starter.kill()
                await starter.wait()
    results = [(starter.returncode, err.decode()) for starter, (_, err) in zip(starters, outputs, strict=True)]
    assert [code for code, _ in results] == [0, 0, 0], "\n".join(err for _, err in results)
    assert await on_connection(url, version_rows) == [migrations.head()]
    assert await on_connection(url, model_diff) == []
    if previous_release:
        count = lambda conn: conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one()  # noqa: E731
        assert await on_connection(url, count) == len(ROWS[AuditRecord])


async def clearance_db(url: str, *args: str) -> tuple[int, dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "stack.cli", "db", *args, cwd=ROOT, stdout=PIPE, stderr=PIPE,
        env={**os.environ, "DATABASE_URL": url, "COLUMNS": "200"},
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None, err
    return process.returncode, json.loads(out)


async def test_clearance_db_commands_report_and_upgrade(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'clearance.db'}"
    await create_previous_release_database(url)
    code, status = await clearance_db(url, "current", "--check")
    assert code == 1
    assert status | {"database": None} == {
        "database": None, "current": None, "head": migrations.head(), "up_to_date": False,
        "previous_release_tables": migrations.BASELINE,
    }
    code, status = await clearance_db(url, "upgrade")
    assert code == 0 and status["current"] == migrations.head() and status["from"].startswith(migrations.BASELINE)
    db = Database(url)
    try:
        assert await migrations.status(db.engine) == (migrations.head(), None)
    finally:
        await db.dispose()
