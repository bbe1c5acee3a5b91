"""Schema migrations (Alembic, revisions in `versions/`). Every process upgrades its database to head when it
opens it (`Database.init`): a fresh database is created by the revisions, one made by a release before migrations
(tables from `create_all`, no `alembic_version`) is stamped with the revision its tables match and upgraded, and
concurrent starts are serialised (PostgreSQL: an advisory lock; SQLite: `BEGIN IMMEDIATE`), each upgrade in one
transaction. A database already at head costs one connection and two small queries."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, DateTime, String, TypeDecorator, inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables on SQLModel.metadata)

HERE = Path(__file__).resolve().parent
BASELINE = "0001"
# Any constant every process migrating the same PostgreSQL database agrees on ("clrm").
PG_LOCK_KEY = 0x636C726D
# How long a start waits for another process's upgrade to finish on SQLite (PostgreSQL waits for the lock).
SQLITE_LOCK_WAIT_SECONDS = 600.0


class SchemaError(RuntimeError):
    """The database cannot be brought to this code's schema (e.g. a newer release already upgraded it)."""


def alembic_config(connection: Connection | None = None) -> Config:
    """The package's Alembic configuration; with `connection`, env.py migrates on it instead of connecting."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head() -> str:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise SchemaError(f"migrations have {len(heads)} heads {heads}: merge them (`alembic merge heads`)")
    return heads[0]


@lru_cache(maxsize=1)
def revisions() -> frozenset[str]:
    return frozenset(script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions())


def render_item(type_: str, obj: Any, _context: AutogenContext) -> str | bool:
    """Autogenerate writes SQLModel's column types as the plain SQLAlchemy types they store as, so revisions
    depend on SQLAlchemy only."""
    if type_ != "type" or not type(obj).__module__.startswith("sqlmodel"):
        return False
    stored = obj.impl if isinstance(obj, TypeDecorator) else obj
    if isinstance(stored, String):
        return f"sa.String(length={stored.length})" if stored.length else "sa.String()"
    if isinstance(stored, DateTime):
        return f"sa.DateTime(timezone={stored.timezone})"
    return False


def configure_options() -> dict[str, Any]:
    """Options for `context.configure`, shared by env.py and the test that compares head with the models."""
    return {
        "target_metadata": SQLModel.metadata,
        "render_as_batch": True,  # SQLite cannot ALTER most things: batch mode copies the table
        "compare_type": True,
        "render_item": render_item,
    }


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def legacy_revision(connection: Connection) -> str | None:
    """The revision whose schema a database created by `create_all` (before migrations) has; None when empty.

    The previous release (0001) lacks the list entries' `content_hash`; main between that release and migrations
    created it already (0002)."""
    inspector = inspect(connection)
    if not inspector.has_table("principals"):
        return None
    columns = {column["name"] for column in inspector.get_columns("screening_list_entries")}
    return "0002" if "content_hash" in columns else BASELINE


def _upgrade_in_transaction(connection: Connection) -> None:
    current = current_revision(connection)
    if current is not None and current not in revisions():
        raise SchemaError(f"the database's schema is at revision {current}, unknown to this code (head {head()})")
    config = alembic_config(connection)
    if current is None and (legacy := legacy_revision(connection)) is not None:
        command.stamp(config, legacy)
    command.upgrade(config, "head")


def _begin_immediate(connection: Connection) -> None:
    """Take SQLite's write lock, waiting (up to SQLITE_LOCK_WAIT_SECONDS) for another process's upgrade."""
    deadline = time.monotonic() + SQLITE_LOCK_WAIT_SECONDS
    while True:
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            connection.rollback()


@contextmanager
def migration_lock(connection: Connection) -> Iterator[None]:
    """One transaction holding the database's migration lock, committed when the block succeeds."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        # Foreign keys off while tables may be copied (batch mode); checked before commit. No-op inside a transaction.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        _begin_immediate(connection)
    elif dialect == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_LOCK_KEY})")
    try:
        yield
        if dialect == "sqlite" and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
            raise SchemaError("the upgrade left rows whose foreign keys point nowhere; rolled back")
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    finally:
        if dialect == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def upgrade_locked(connection: Connection) -> None:
    """Upgrade to head under the migration lock, in one transaction."""
    with migration_lock(connection):
        _upgrade_in_transaction(connection)


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the database to head; cheap when it is there already."""
    deadline = time.monotonic() + SQLITE_LOCK_WAIT_SECONDS
    while True:
        try:
            async with engine.connect() as connection:
                if await connection.run_sync(current_revision) == head():
                    return
                await connection.rollback()
                await connection.run_sync(upgrade_locked)
                return
        except OperationalError as exc:
            # SQLite may refuse a connection or a read with "database is locked" while another process creates the
            # file or upgrades it; the upgrade is one transaction, re-checked under the lock, so trying again is safe.
            if engine.dialect.name != "sqlite" or "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.05)


async def status(engine: AsyncEngine) -> tuple[str | None, str | None]:
    """(the database's revision, the revision its tables match when it predates migrations)."""

    def _status(connection: Connection) -> tuple[str | None, str | None]:
        current = current_revision(connection)
        return current, legacy_revision(connection) if current is None else None

    async with engine.connect() as connection:
        return await connection.run_sync(_status)
