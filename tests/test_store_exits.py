"""The exit of a released export in the store, on SQLite and PostgreSQL: customs' confirmation and the worker's
follow-up each move an exit on only while it is still awaited, so whichever comes first wins and the other sees
how it was settled; the sweeper's query finds only exits awaited past their date."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from store import exchange as exchange_store
from store.audit_log import trail
from store.db import Database
from tests.test_store import new_mrn

pytestmark = pytest.mark.store

RELEASED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def awaited(db: Database, follow_up_at: datetime) -> str:
    mrn = new_mrn()
    async with db.writer() as session:
        await exchange_store.start_exit(session, mrn, follow_up_at)
        await exchange_store.start_exit(session, mrn, follow_up_at + timedelta(days=1))  # a retry changes nothing
        await session.commit()
    return mrn


async def confirm(db: Database, mrn: str) -> object:
    async with db.writer() as session:
        done = await exchange_store.confirm_awaited_exit(
            session, mrn, confirmed_at=RELEASED, confirmed_by="customs_officer", office_of_exit="DE002651", note=None
        )
        await session.commit()
    return done


async def claim(db: Database, mrn: str) -> object:
    async with db.writer() as session:
        record = await exchange_store.claim_follow_up(session, mrn, f"{mrn}-X1")
        await session.commit()
    return record


async def test_a_confirmation_before_the_follow_up_wins_and_is_audited(store_db: Database) -> None:
    mrn = await awaited(store_db, RELEASED + timedelta(days=90))
    done = await confirm(store_db, mrn)
    assert done is not None and done.status == "confirmed" and done.office_of_exit == "DE002651"  # type: ignore[attr-defined]
    assert await confirm(store_db, mrn) is None  # once
    record = await claim(store_db, mrn)
    assert record is not None and record.status == "confirmed" and record.task_id is None  # type: ignore[attr-defined]
    async with store_db.session() as session:
        events = [e.kind for e in await trail(session, mrn)]
    assert events == ["exit_confirmed"]


async def test_a_follow_up_before_the_confirmation_wins(store_db: Database) -> None:
    mrn = await awaited(store_db, RELEASED + timedelta(days=90))
    record = await claim(store_db, mrn)
    assert record is not None and record.status == "follow_up" and record.task_id == f"{mrn}-X1"  # type: ignore[attr-defined]
    assert await confirm(store_db, mrn) is None  # the follow-up's workflow takes the confirmation instead


async def test_racing_confirmation_and_follow_up_settle_the_exit_once(store_db: Database) -> None:
    for _ in range(5):
        mrn = await awaited(store_db, RELEASED + timedelta(days=90))
        confirmed, _ = await asyncio.gather(confirm(store_db, mrn), claim(store_db, mrn))
        async with store_db.session() as session:
            row = await exchange_store.get_exit(session, mrn)
        assert row is not None
        if confirmed is not None:
            assert row.status == "confirmed" and row.task_id is None
        else:
            assert row.status == "follow_up" and row.task_id == f"{mrn}-X1"


async def test_the_sweep_finds_only_exits_awaited_past_their_date(store_db: Database) -> None:
    base = datetime(2031, 1, 1, tzinfo=UTC)  # after every other test's dates
    due = await awaited(store_db, base + timedelta(days=1))
    later = await awaited(store_db, base + timedelta(days=30))
    settled = await awaited(store_db, base + timedelta(days=2))
    await confirm(store_db, settled)
    async with store_db.session() as session:
        found = await exchange_store.due_exits(session, base + timedelta(days=3), limit=10_000)
    assert due in found and later not in found and settled not in found
