"""The SQLite file's one writer (`store/db.py`): writers of two `Database`s on the same file (as the API and the
worker are) take turns through the file's writer lock and all land; a failed write transaction rolls back and lets
the next writer in; what a writer commits is what readers of the other engine see; the WAL is checkpointed by the
background checkpointer although the inline writer never checkpoints itself."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import event, text

from store import exchange as exchange_store
from store.db import Database
from tests.test_store import new_mrn
from tests.test_store_exits import RELEASED

pytestmark = pytest.mark.store


async def _count(db: Database, mrns: list[str]) -> int:
    async with db.session() as session:
        found = 0
        for mrn in mrns:
            found += await exchange_store.get_exit(session, mrn) is not None
        return found


async def test_two_databases_on_one_file_take_turns_and_every_write_lands(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'one.db'}"
    api, worker = Database(url), Database(url)
    await api.init()
    mrns = [new_mrn() for _ in range(60)]

    async def write(db: Database, mrn: str) -> None:
        async with db.writer() as session:
            await exchange_store.start_exit(session, mrn, RELEASED)
            await asyncio.sleep(0)  # another writer's turn would come here if the lock did not hold
            await session.commit()

    try:
        await asyncio.gather(*(write(api if i % 2 else worker, mrn) for i, mrn in enumerate(mrns)))
        assert await _count(api, mrns) == len(mrns) and await _count(worker, mrns) == len(mrns)
    finally:
        await api.dispose()
        await worker.dispose()


async def test_a_failed_write_rolls_back_and_the_next_writer_gets_in(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'two.db'}")
    await db.init()
    lost, kept = new_mrn(), new_mrn()
    try:
        with pytest.raises(RuntimeError):
            async with db.writer() as session:
                await exchange_store.start_exit(session, lost, RELEASED)
                raise RuntimeError("the activity failed half way")
        async with db.writer() as session:
            await exchange_store.start_exit(session, kept, RELEASED)
            await session.commit()
        assert await _count(db, [lost]) == 0 and await _count(db, [kept]) == 1
    finally:
        await db.dispose()


async def test_the_wal_is_checkpointed_in_the_background(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("store.db.CHECKPOINT_SECONDS", 0.05)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'three.db'}")
    await db.init()
    rounds: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "wal_checkpoint" in statement:
            rounds.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        for _ in range(5):
            async with db.writer() as session:
                await exchange_store.start_exit(session, new_mrn(), RELEASED)
                await session.commit()
                # the writer's own connection leaves checkpoints to the checkpointer
                assert (await session.exec(text("PRAGMA wal_autocheckpoint"))).one()[0] == 0  # type: ignore[call-overload]
        await asyncio.sleep(0.4)
        assert len(rounds) >= 3  # PRAGMA wal_checkpoint(PASSIVE) from the regular engine, every 50 ms here
    finally:
        await db.dispose()
    assert db._checkpointer is None  # stopped with the database


async def test_a_reader_sees_what_the_other_process_committed_and_refuses_to_write(tmp_path: Path) -> None:
    """`reader()` runs inline on SQLite: it sees a commit of another `Database` at once, and its connection is
    query-only, so a write through it fails at once and lands nowhere (never a wait for the writer in the loop)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'four.db'}"
    api, worker = Database(url), Database(url)
    await api.init()
    written, refused = new_mrn(), new_mrn()
    try:
        async with worker.writer() as session:
            await exchange_store.start_exit(session, written, RELEASED)
            await session.commit()
        async with api.reader() as session:
            assert await exchange_store.get_exit(session, written) is not None
        with pytest.raises(Exception, match=r"readonly|read-only|query_only"):
            async with api.reader() as session:
                await exchange_store.start_exit(session, refused, RELEASED)
                await session.commit()
        assert await _count(worker, [refused]) == 0
    finally:
        await api.dispose()
        await worker.dispose()


async def test_a_writer_waits_for_a_write_that_needs_the_event_loop_without_blocking_it(tmp_path: Path) -> None:
    """A write that takes no writer lock (through `session()`, on aiosqlite's thread) holds the database and needs
    the event loop to commit; the inline writer that comes meanwhile waits for it off the loop and both land. (It
    used to fail: in SQLite's busy handler, in the loop's thread, or at once on its superseded snapshot.) A
    writer's transaction holds the database from its beginning, so its own read-then-write never finds the
    snapshot it read superseded."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'five.db'}")
    await db.init()
    first, second, third = new_mrn(), new_mrn(), new_mrn()
    holding = asyncio.Event()

    async def unlocked_write() -> None:
        async with db.session() as session:
            await exchange_store.start_exit(session, first, RELEASED)
            await session.flush()  # the database's write lock is taken here, on the connection's thread
            holding.set()
            await asyncio.sleep(0.3)  # the loop must run for this write to finish
            await session.commit()

    async def writer() -> None:
        await holding.wait()
        async with db.writer() as session:
            assert await exchange_store.get_exit(session, first) is not None  # began after the other committed
            await exchange_store.start_exit(session, second, RELEASED)
            await session.commit()
            await exchange_store.start_exit(session, third, RELEASED)  # a second transaction in the same session
            await session.commit()

    try:
        await asyncio.wait_for(asyncio.gather(unlocked_write(), writer()), timeout=10)
        assert await _count(db, [first, second, third]) == 3
    finally:
        await db.dispose()
