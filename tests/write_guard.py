"""Application code writes through `Database.writer()` only (store/db.py). On SQLite a write through `session()`
takes no writer lock: it can hold the database on aiosqlite's thread while the inline writer of the same process
waits, and a read-then-write there fails outright once another write commits in between. Here, a session that
application code opens with `session()` records any write it attempts, and the suite fails naming where; the
tests' own sessions (store tests write through `session()` on purpose) are left alone."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlmodel.ext.asyncio.session import AsyncSession

from store.db import Database

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
_SKIP = (str(Path(__file__).resolve()), str(ROOT / "store" / "db.py"), "contextlib")


def _opener() -> str | None:
    """The application's file and line that opened the session, or None when a test (or a library) did."""
    frame = sys._getframe(2)
    while frame is not None and any(s in frame.f_code.co_filename for s in _SKIP):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return None
    path = Path(frame.f_code.co_filename).resolve()
    if not path.is_relative_to(ROOT) or path.is_relative_to(TESTS) or ".venv" in path.parts:
        return None
    return f"{path.relative_to(ROOT)}:{frame.f_lineno}"


def _refuse_writes(session: AsyncSession, opener: str, violations: list[str]) -> None:
    def flush(sync_session: Any, _context: Any, _instances: Any) -> None:
        if sync_session.new or sync_session.dirty or sync_session.deleted:
            violations.append(f"{opener}: a flush of ORM objects")

    def cursor(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:  # Core statements on the session's connection
        if sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            violations.append(f"{opener}: {sql.strip().splitlines()[0][:80]}")

    def begun(_session: Any, _transaction: Any, connection: Any) -> None:
        if not event.contains(connection, "before_cursor_execute", cursor):
            event.listen(connection, "before_cursor_execute", cursor)

    event.listen(session.sync_session, "after_begin", begun)
    event.listen(session.sync_session, "before_flush", flush)


@contextmanager
def guarded() -> Iterator[list[str]]:
    """While open, the writes application code attempts through `session()`, one line each."""
    original = Database.session
    violations: list[str] = []

    @asynccontextmanager
    async def session(self: Database) -> AsyncIterator[AsyncSession]:
        opener = _opener()
        async with original(self) as opened:
            if opener is not None:
                _refuse_writes(opened, opener, violations)
            yield opened

    Database.session = session  # type: ignore[method-assign]
    try:
        yield violations
    finally:
        Database.session = original  # type: ignore[method-assign]
