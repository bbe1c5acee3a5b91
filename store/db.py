"""Engine and sessions: SQLite file by default (WAL), PostgreSQL when DATABASE_URL names it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from store import migrations


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, **kwargs)


class Database:
    """One engine and its session factory, shared by a process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        # SQLite has one writer at a time and its busy handler sleeps up to 100 ms between retries; queueing this
        # process's writers here instead keeps write latency at the cost of the write itself.
        self._write_lock: asyncio.Lock | None = asyncio.Lock() if url.startswith("sqlite") else None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for reads (and for writes on PostgreSQL; prefer `writer()` for writes)."""
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def writer(self) -> AsyncIterator[AsyncSession]:
        """A session for a write transaction."""
        if self._write_lock is None:
            async with self._sessions() as session:
                yield session
            return
        async with self._write_lock, self._sessions() as session:
            yield session

    async def init(self) -> None:
        """Upgrade the schema to this code's head (creating it in a fresh database); see `store/migrations`."""
        await migrations.upgrade(self.engine)

    async def dispose(self) -> None:
        await self.engine.dispose()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


def upsert(dialect: str, table: Any) -> Any:
    """An INSERT supporting ON CONFLICT for the engine's dialect (SQLite and PostgreSQL share the syntax)."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
