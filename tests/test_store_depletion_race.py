"""Depletion races on SQLite and PostgreSQL: concurrent calls for the same goods item (a retried activity, two
workers) all get the one depletion; a loser of a race on one licence line goes on to the next line."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest

from domain.licence import DepletionResult, LicenceCreate
from store import licences
from store.db import Database
from tests.test_store import licence, new_mrn, ref, request

pytestmark = pytest.mark.store


async def test_concurrent_calls_for_one_goods_item_all_get_the_one_depletion(store_db: Database) -> None:
    reference = ref()
    async with store_db.session() as s:
        await licences.register(s, licence(reference), by="t", issuer_agency="DEMO-EXPORT-CONTROL")
    mrn = new_mrn()

    async def take() -> DepletionResult:
        async with store_db.session() as s:
            return await licences.deplete(s, request(mrn, qty="10", licence_reference=reference))

    for _ in range(3):  # a race is not won the same way every time: try it a few times
        results = await asyncio.gather(*(take() for _ in range(6)))
        assert all(r.covered and r.licence_reference == reference for r in results)
        assert {(r.line, r.quantity) for r in results} == {(1, Decimal("10.000"))}
    async with store_db.session() as s:
        view = await licences.get_view(s, reference, today=date(2026, 6, 1))
    assert view is not None and [d.mrn for d in view.depletions] == [mrn]
    assert view.items[0].remaining.quantity is not None
    assert view.items[0].remaining.quantity.value == Decimal("90.000")


async def test_a_loser_on_one_licence_line_takes_the_next(store_db: Database) -> None:
    """Two lines of one licence, each enough for one goods item: eight clearances race, two are covered, the
    others are told why; nobody sees a server error."""
    reference = ref()
    body = licence(reference, quantity="10").model_dump(mode="json")
    body["items"].append(body["items"][0])
    async with store_db.session() as s:
        await licences.register(s, LicenceCreate.model_validate(body), by="t", issuer_agency="DEMO-EXPORT-CONTROL")

    async def take() -> DepletionResult:
        async with store_db.session() as s:
            return await licences.deplete(s, request(new_mrn(), qty="10", licence_reference=reference))

    results = await asyncio.gather(*(take() for _ in range(8)))
    assert sorted(r.line for r in results if r.covered) == [1, 2]
    assert all("too small" in (r.reason or "") or "taken" in (r.reason or "") for r in results if not r.covered)


async def test_racing_attempts_for_one_item_on_a_line_just_big_enough_all_get_it(store_db: Database) -> None:
    """The loser's conditional update finds the balance gone (taken by the winner for this same goods item): it
    answers with the winner's depletion, not 'balance taken'."""
    reference = ref()
    async with store_db.session() as s:
        await licences.register(s, licence(reference, quantity="10"), by="t", issuer_agency="DEMO-EXPORT-CONTROL")
    for _ in range(3):
        mrn = new_mrn()

        async def take(mrn: str = mrn) -> DepletionResult:
            async with store_db.session() as s:
                return await licences.deplete(s, request(mrn, qty="10", licence_reference=reference))

        results = await asyncio.gather(*(take() for _ in range(6)))
        if results[0].covered:  # the first round takes the whole line; later rounds are refused throughout
            assert all(r.covered and r.line == 1 for r in results), results
        else:
            assert not any(r.covered for r in results)
    async with store_db.session() as s:
        view = await licences.get_view(s, reference, today=date(2026, 6, 1))
    assert view is not None and len(view.depletions) == 1
