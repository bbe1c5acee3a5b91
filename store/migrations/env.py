"""Alembic environment. `Database.init()` passes its own connection (in `config.attributes["connection"]`),
already inside the transaction that serialises concurrent starts; the `alembic` command line connects to the
database the settings name (`DATABASE_URL`, or the SQLite file under `DATA_DIR`) and takes the same lock."""

from __future__ import annotations

import asyncio
import logging

from alembic import context
from sqlalchemy import Connection, pool
from sqlalchemy.ext.asyncio import create_async_engine

from store.migrations import configure_options, migration_lock

config = context.config


def run_migrations_offline() -> None:
    from settings import Settings

    context.configure(url=Settings().resolved_database_url, literal_binds=True, **configure_options())
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, **configure_options())
    with context.begin_transaction():
        context.run_migrations()


def _locked_migrations(connection: Connection) -> None:
    with migration_lock(connection):
        do_run_migrations(connection)


async def run_async_migrations() -> None:
    from settings import Settings

    engine = create_async_engine(Settings().resolved_database_url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_locked_migrations)
    finally:
        await engine.dispose()


given = config.attributes.get("connection")
if context.is_offline_mode():
    run_migrations_offline()
elif given is not None:
    do_run_migrations(given)
else:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)-5.5s [%(name)s] %(message)s")
    logging.getLogger("alembic.runtime.migration").setLevel(logging.INFO)
    asyncio.run(run_async_migrations())
