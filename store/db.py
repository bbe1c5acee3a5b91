"""Engine and sessions: SQLite file by default (WAL), PostgreSQL when DATABASE_URL names it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
import structlog
from sqlalchemy import Executable, Row, event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from store import fastsql, migrations

log = structlog.get_logger("store")
CHECKPOINT_SECONDS = 1.0
BUSY_SECONDS = 30.0  # how long a write waits for a database another connection holds (SQLite's busy timeout)
BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})

try:
    import fcntl
except ImportError:  # not on POSIX: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, **kwargs)


class _RunHere:
    """aiosqlite's queue to its connection thread, run in the caller's thread instead."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:  # handed to the awaiting caller, as aiosqlite's thread does
            if future is not None:
                future.set_exception(exc)
            return
        if future is not None:
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run in the event loop's thread, for `Database.writer()` on SQLite.

    A write transaction holds the file's one writer. Through aiosqlite each statement is a round trip to the
    connection's thread and back through the event loop's queue, behind whatever else the loop has to do: under
    load, a transaction of ten short statements held the writer for 50-70 ms, of which the statements themselves
    took a few. Here the statements run inline: the writer is held for the time SQLite needs (the writer lock
    makes sure no other process holds it meanwhile, so SQLite does not wait either)."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, 64)
        self._tx = _RunHere()  # type: ignore[assignment]

    def __await__(self) -> Generator[Any, None, aiosqlite.Connection]:
        return self._connect().__await__()  # no thread to start


def _kept_connection(database: str, setup: Callable[[Any, Any], None]) -> sqlite3.Connection:
    """A `sqlite3` connection `Database` keeps for itself, in autocommit (each statement sees the last commit; a
    transaction only when begun explicitly), with the engine's pragmas and `setup`'s: `_query_only` for `rows()`,
    `_inline_writer` for `write()`."""
    conn = sqlite3.connect(database, timeout=30, check_same_thread=False, isolation_level=None)
    _sqlite_pragmas(conn, None)
    setup(conn, None)
    return conn


def _inline_engine(url: str, *, read_only: bool = False) -> AsyncEngine:
    database = make_url(url).database or ""

    def connector() -> sqlite3.Connection:
        if read_only:
            return sqlite3.connect(database, timeout=30, check_same_thread=False)
        # the writer's transactions are begun explicitly (`_begin_immediate`), not by the sqlite3 module
        return sqlite3.connect(database, timeout=30, check_same_thread=False, isolation_level=None)

    engine = create_async_engine(url, async_creator=lambda: InlineConnection(connector))
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    if read_only:
        event.listen(engine.sync_engine, "connect", _query_only)
    else:
        event.listen(engine.sync_engine, "connect", _inline_writer)
        event.listen(engine.sync_engine, "begin", _begin_immediate)
    return engine


def _inline_writer(dbapi_connection: Any, _record: Any) -> None:
    """The inline writer never waits in SQLite's busy handler: that handler sleeps in the event loop's thread, and
    when the database's lock is held by a write of this same process that runs on a connection thread (through
    `session()`, or a tool's), that write needs the loop to finish - both waited out the 30 s timeout and the write
    failed ("database is locked"). A begin that finds the database taken is retried by `Database.writer()`
    asynchronously instead. Nor does it copy the WAL back: a commit that fills the WAL past its threshold would
    do it there and then, in the event loop's thread; `Database`'s checkpointer does it instead."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def _begin_immediate(conn: Any) -> None:
    """A write transaction takes the database's write lock when it begins, not at its first write: a deferred one
    that read first could no longer write once another connection had committed (SQLITE_BUSY_SNAPSHOT, which no
    waiting resolves)."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _busy(exc: Exception) -> bool:
    """Whether SQLite refused because another connection holds the database (SQLAlchemy's error or the driver's)."""
    code = getattr(getattr(exc, "orig", exc), "sqlite_errorcode", None)
    return code is not None and code & 0xFF in BUSY_CODES  # the primary code of an extended one


async def _begin_waiting(begin: Callable[[], Awaitable[None]]) -> None:
    """`begin()` a write transaction, waiting without blocking the event loop (a back-off up to 50 ms, for at most
    BUSY_SECONDS) while another connection holds the database; any other error at once."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + BUSY_SECONDS
    delay = 0.001
    while True:
        try:
            await begin()
            return
        except (OperationalError, sqlite3.OperationalError) as exc:
            if not _busy(exc) or loop.time() >= deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)


def _query_only(dbapi_connection: Any, _record: Any) -> None:
    """A reader's connection refuses writes at once (a write there would take no writer lock and could wait in
    SQLite's busy handler inside the event loop's thread)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


class WriterLock:
    """The SQLite file's one writer, across processes: an advisory lock (flock) on `<database>.writer`, taken
    before a write transaction begins. SQLite's own busy handler polls a held database with sleeps that grow to
    100 ms, so with the API and the worker writing the same file each waited tens of milliseconds for locks held
    for a few; a process blocked in flock wakes the moment the holder lets go. Released by the kernel when a
    process dies. Where flock is missing (or the database is in memory) SQLite's busy handler alone remains."""

    def __init__(self, url: str) -> None:
        database = make_url(url).database
        self._path = f"{database}.writer" if database and database != ":memory:" and fcntl is not None else None
        self._fd: int | None = None

    async def acquire(self) -> None:
        if self._path is None:
            return
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        fd = self._fd
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # type: ignore[union-attr]
        except BlockingIOError:  # another process writes: wait for it off the event loop
            await asyncio.get_running_loop().run_in_executor(None, fcntl.flock, fd, fcntl.LOCK_EX)  # type: ignore[union-attr]

    @property
    def enabled(self) -> bool:
        return self._path is not None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)  # type: ignore[union-attr]

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class Database:
    """One engine and its session factory, shared by a process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        # SQLite has one writer at a time: this process's writers queue here, then take the file's writer lock
        # from other processes (WriterLock), so a write waits for the writes before it and not for a busy poll.
        self._write_lock: asyncio.Lock | None = asyncio.Lock() if url.startswith("sqlite") else None
        self._writer = WriterLock(url) if url.startswith("sqlite") else None
        self._checkpointer: asyncio.Task[None] | None = None
        inline = url.startswith("sqlite") and self._writer is not None and self._writer.enabled
        self._write_engine = _inline_engine(url) if inline else None
        self._writes = (
            async_sessionmaker(self._write_engine, class_=AsyncSession, expire_on_commit=False)
            if self._write_engine is not None
            else self._sessions
        )
        self._read_engine = _inline_engine(url, read_only=True) if inline else None
        self._reads = (
            async_sessionmaker(self._read_engine, class_=AsyncSession, expire_on_commit=False)
            if self._read_engine is not None
            else self._sessions
        )
        # rows(): one long-lived query-only sqlite3 connection in autocommit (opened on first use)
        self._read_raw: sqlite3.Connection | None = None
        self._write_raw: sqlite3.Connection | None = None  # write(): the inline writer's own, kept

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for reads (and for writes on PostgreSQL; prefer `writer()` for writes)."""
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """A session for short reads on a hot path (a request's principal, a clearance's view, an activity's
        look-ups). On SQLite its statements run inline, in the caller's thread, like `writer()`'s: through
        aiosqlite each statement was a round trip to a connection thread and back through the event loop, which
        cost the API more CPU than the statements (a WAL reader never waits for the writer, so inline it never
        blocks). Its connection is query-only; long reads (reports, exports, verification) stay on `session()`."""
        async with self._reads() as session:
            yield session

    async def rows(self, statement: Executable, params: Mapping[str, Any] | None = None) -> Sequence[Row[Any]]:
        """The rows of one short Core statement on a hot path (a clearance's view as a declarant polls it, its
        tasks, its exit), read as committed when it runs, like `reader()`'s statements. On SQLite it runs on this
        process's one long-lived query-only `sqlite3` connection in autocommit, straight on the driver with
        SQLAlchemy's SQL and types (`store/fastsql.py`): no session, no pool checkout, no transaction to begin and
        roll back - a primary-key read of a clearance costs 17 us, against 70 us through SQLAlchemy's execution on
        a kept connection and 320 us through an ORM session. Rows read by attribute like the models (`row.view`,
        `row.revision`) but are not models: nothing to write back, nothing lazy-loaded."""
        if self._read_engine is None:
            async with self._reads() as session:
                conn = await session.connection()
                return (await conn.execute(statement, params)).all()
        if self._read_raw is None:
            self._read_raw = _kept_connection(make_url(self.url).database or "", _query_only)
        try:
            # the statement runs inline (store/fastsql.py): nothing is awaited, so no other read interleaves
            return fastsql.run(self._read_raw, self._read_engine.dialect, statement, params or {})  # type: ignore[return-value]
        except LookupError:
            async with self._reads() as session:
                return (await (await session.connection()).execute(statement, params)).all()
        except Exception:  # the next read opens a new connection
            raw, self._read_raw = self._read_raw, None
            with contextlib.suppress(Exception):
                raw.close()
            raise

    def _start_checkpoints(self) -> None:
        """The inline writer never copies the WAL back itself: `_checkpoints` does, from the first write on."""
        if self._write_engine is not None and self._checkpointer is None:
            self._checkpointer = asyncio.create_task(self._checkpoints(), name="wal-checkpoints")

    async def _checkpoints(self) -> None:
        """The WAL copied back into the database every CHECKPOINT_SECONDS from a connection of the regular
        engine (its own thread), since the inline writer never does it (PASSIVE: never waits for readers)."""
        while True:
            await asyncio.sleep(CHECKPOINT_SECONDS)
            try:
                async with self.engine.connect() as conn:
                    await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception as exc:  # the next round tries again; the WAL only grows meanwhile
                log.warning("wal_checkpoint_failed", error=str(exc))

    @asynccontextmanager
    async def writer(self) -> AsyncIterator[AsyncSession]:
        """A session for a write transaction."""
        if self._write_lock is None:
            async with self._sessions() as session:
                yield session
            return
        assert self._writer is not None
        self._start_checkpoints()
        async with self._write_lock:
            await self._writer.acquire()
            try:
                async with self._writes() as session:
                    if self._write_engine is not None:
                        await self._begin(session)
                    yield session
            finally:
                self._writer.release()

    async def write(self, statement: Executable, params: Mapping[str, Any]) -> int:
        """One Core statement in a transaction of its own (the API's accepted read model); how many rows it wrote.
        On SQLite it runs on a kept `sqlite3` connection of the inline writer (`store/fastsql.py`), under the same
        locks as `writer()`'s transactions, without a session: opening, beginning, committing and closing one cost
        the API more than the statement (about 0.4 of its 5 ms per clearance)."""
        if self._write_engine is None:
            return await self._write_in_session(statement, params)
        assert self._writer is not None and self._write_lock is not None
        self._start_checkpoints()
        async with self._write_lock:
            await self._writer.acquire()
            try:
                if self._write_raw is None:
                    self._write_raw = _kept_connection(make_url(self.url).database or "", _inline_writer)
                conn = self._write_raw

                async def begin() -> None:
                    conn.execute("BEGIN IMMEDIATE")

                await _begin_waiting(begin)
                try:
                    written = fastsql.changed_now(conn, self._write_engine.dialect, statement, params)
                    conn.execute("COMMIT")
                    return written
                except BaseException as exc:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.IntegrityError):
                        self._write_raw = None  # the next write opens a new connection
                        with contextlib.suppress(sqlite3.Error):
                            conn.close()
                    raise
            except LookupError:  # needs SQLAlchemy's execution: in a session, as writer() runs it
                pass
            finally:
                self._writer.release()
        return await self._write_in_session(statement, params)

    async def _write_in_session(self, statement: Executable, params: Mapping[str, Any]) -> int:
        async with self.writer() as session:
            written = await fastsql.changed(session, statement, params)
            await session.commit()
            return written

    async def _begin(self, session: AsyncSession) -> None:
        """Begin the inline writer's transaction, waiting without blocking the event loop while another connection
        (one that takes no writer lock: a migration, a command-line tool, a `session()` write where one slipped
        through - tests/write_guard.py fails the suite on those) holds the database. A later transaction of the same
        session, after a commit, begins inline: this process still holds the writer lock then, so only such a
        connection could be in its way, and the begin fails at once rather than stalling the loop."""

        async def begin() -> None:
            try:
                await session.connection()
            except OperationalError:
                await session.rollback()
                raise

        await _begin_waiting(begin)

    async def init(self) -> None:
        """Upgrade the schema to this code's head (creating it in a fresh database); see `store/migrations`."""
        await migrations.upgrade(self.engine)

    async def dispose(self) -> None:
        if self._checkpointer is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):  # its loop may be gone (tests)
                self._checkpointer.cancel()
                await self._checkpointer
            self._checkpointer = None
        for raw in (self._read_raw, self._write_raw):
            if raw is not None:
                with contextlib.suppress(Exception):
                    raw.close()
        self._read_raw = self._write_raw = None
        await self.engine.dispose()
        for inline in (self._write_engine, self._read_engine):
            if inline is not None:
                await inline.dispose()
        if self._writer is not None:
            self._writer.close()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


def upsert(dialect: str, table: Any) -> Any:
    """An INSERT supporting ON CONFLICT for the engine's dialect (SQLite and PostgreSQL share the syntax)."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
