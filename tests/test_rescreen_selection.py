"""Which clearances a list import re-screens, and which of their parties' matches count as new (activities/rescreen.py,
store/rescreening.py; the store part on SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from activities.rescreen import screen_view
from domain.clearance import ClearanceView, ProjectionInput, RescreenEntry, Status
from domain.declaration import Declaration
from domain.mrn import make_mrn
from screening import ScreeningIndex
from screening.lists import ListEntry
from sop.model import Outcome, SopRef
from store import clearances, rescreening
from store.db import Database
from tests.support import example

LIST = "delta-test"
CONSIGNEE = "Maple Workshop Supplies Inc."  # the green-lane example's consignee (CA)


def delta(*names: str, list_name: str = LIST) -> ScreeningIndex:
    return ScreeningIndex(
        ListEntry(list=list_name, entry_id=f"e-{n}", name=name, countries=["CA"]) for n, name in enumerate(names)
    )


def make_view(
    *,
    status: Status = Status.awaiting_decision,
    outcome: Outcome | None = None,
    updated_at: datetime | None = None,
    mrn: str | None = None,
) -> ClearanceView:
    now = datetime.now(UTC)
    mrn = mrn or make_mrn(year=2026, country="DE", key=uuid.uuid4().hex[:13].upper())
    return ClearanceView(
        mrn=mrn,
        lrn="L",
        workflow_id=f"clearance-{mrn[4:17]}",
        declarant_eori="DE123456789012345",
        agency="DEMO-CUSTOMS",
        status=status,
        stage="approval",
        outcome=outcome,
        sop=SopRef(name="s", version=1, hash="h"),
        declaration=Declaration.model_validate(example("green-lane")),
        accepted_at=now,
        updated_at=updated_at or now,
        revision=1,
    )


def as_read_model(view: ClearanceView, **changes: Any) -> dict[str, Any]:
    data = view.model_dump(mode="json")
    data.update(changes)
    return data


def test_a_party_matching_an_added_entry_is_a_hit_at_the_sop_threshold() -> None:
    hit = screen_view(
        as_read_model(make_view()), index=delta("Maple Workshop Supplies"), list_name=LIST, revision=7, threshold=88
    )
    assert hit is not None and (hit.list, hit.revision) == (LIST, 7)
    [party] = hit.parties
    assert (party.role, party.name, party.country) == ("consignee", CONSIGNEE, "CA")
    assert [m.entry_id for m in party.matches] == ["e-0"] and party.matches[0].score >= 88


def test_the_clearances_own_threshold_decides() -> None:
    variant = delta("Maple Workshop Suplies")  # one typo
    view = as_read_model(make_view())
    assert screen_view(view, index=variant, list_name=LIST, revision=7, threshold=88) is not None
    assert screen_view(view, index=variant, list_name=LIST, revision=7, threshold=99.9) is None


def test_a_clearance_screened_on_this_revision_or_later_is_left_alone() -> None:
    index = delta("Maple Workshop Supplies")
    for screened_on, expected in ((6, True), (7, False), (8, False)):
        view = as_read_model(make_view(), screening={"parties": [], "list_revisions": {LIST: screened_on}})
        hit = screen_view(view, index=index, list_name=LIST, revision=7, threshold=88)
        assert (hit is not None) is expected, screened_on
    # a view without list revisions counts as screened on revision 0, as does another list's revision
    other = as_read_model(make_view(), screening={"parties": [], "list_revisions": {"other": 99}})
    assert screen_view(other, index=index, list_name=LIST, revision=1, threshold=88) is not None


def test_matches_the_clearance_has_seen_are_not_new() -> None:
    index = delta("Maple Workshop Supplies", "Maple Workshop Supplies Incorporated")
    seen = {"list": LIST, "entry_id": "e-0", "name": "Maple Workshop Supplies", "score": 100.0}
    screened = as_read_model(
        make_view(), screening={"parties": [{"role": "consignee", "name": CONSIGNEE, "matches": [seen]}]}
    )
    hit = screen_view(screened, index=index, list_name=LIST, revision=7, threshold=88)
    assert hit is not None and [m.entry_id for m in hit.parties[0].matches] == ["e-1"]
    entry = RescreenEntry(
        list=LIST, revision=5, at=datetime.now(UTC), party="consignee", entries=["e-0", "e-1"], result="false_positive"
    )
    reviewed = as_read_model(make_view(), rescreening=[entry.model_dump(mode="json")])
    assert screen_view(reviewed, index=index, list_name=LIST, revision=7, threshold=88) is None
    # seen for another party is not seen for this one
    other_party = as_read_model(make_view(), rescreening=[entry.model_copy(update={"party": "exporter"}).model_dump()])
    assert screen_view(other_party, index=index, list_name=LIST, revision=7, threshold=88) is not None


def test_entries_of_other_lists_and_unrelated_names_are_no_hit() -> None:
    view = as_read_model(make_view())
    assert (
        screen_view(
            view, index=delta("Maple Workshop Supplies", list_name="x"), list_name=LIST, revision=7, threshold=88
        )
        is None
    )
    assert screen_view(view, index=delta("Orvantek Hydraulics"), list_name=LIST, revision=7, threshold=88) is None
    assert screen_view(view, index=delta(), list_name=LIST, revision=7, threshold=88) is None


async def test_candidates_are_open_clearances_and_those_released_within_the_look_back(store_db: Database) -> None:
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=40)
    views = {
        "open": make_view(),
        "held": make_view(status=Status.in_progress),
        "released": make_view(status=Status.completed, outcome=Outcome.released, updated_at=now - timedelta(days=2)),
        "released_long_ago": make_view(status=Status.completed, outcome=Outcome.released, updated_at=long_ago),
        "referred": make_view(status=Status.completed, outcome=Outcome.referred),
        "invalidated": make_view(status=Status.invalidated, outcome=Outcome.invalidated),
    }
    async with store_db.session() as s:
        for view in views.values():
            await clearances.project(s, ProjectionInput(view=view))
    mine = {v.mrn: name for name, v in views.items()}
    found: list[str] = []
    cursor = None
    async with store_db.session() as s:
        while True:
            rows, cursor = await rescreening.candidates(
                s, released_since=now - timedelta(days=30), cursor=cursor, limit=2
            )
            assert len(rows) <= 2
            found += [mine[r.mrn] for r in rows if r.mrn in mine]
            if cursor is None:
                break
    assert sorted(found) == ["held", "open", "released"]


async def test_entries_of_a_concluded_clearance_are_recorded_once_and_updated_in_place(store_db: Database) -> None:
    released = make_view(status=Status.completed, outcome=Outcome.released)
    still_open = make_view()
    async with store_db.session() as s:
        await clearances.project(s, ProjectionInput(view=released))
        await clearances.project(s, ProjectionInput(view=still_open))
    at = datetime.now(UTC)
    raised = RescreenEntry(list=LIST, revision=3, at=at, party="consignee", entries=["e-0"], result="alert_raised")
    async with store_db.writer() as s:
        assert await rescreening.record_entries(s, mrn=released.mrn, entries=[raised])
        assert await rescreening.record_entries(s, mrn=released.mrn, entries=[raised])
        assert await rescreening.record_entries(
            s, mrn=released.mrn, entries=[raised.model_copy(update={"result": "no_action"})]
        )
        assert not await rescreening.record_entries(s, mrn=still_open.mrn, entries=[raised])
    async with store_db.session() as s:
        view = await clearances.get_view(s, released.mrn)
        untouched = await clearances.get_view(s, still_open.mrn)
    assert view is not None and [e.result for e in view.rescreening] == ["no_action"]
    assert untouched is not None and untouched.rescreening == []
