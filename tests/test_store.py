"""The store on SQLite and on PostgreSQL: licence depletion exactly once, forward-only read models, the SOP
catalogue, list imports and tokens."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from domain.clearance import AuditEvent, ClearanceView, ProjectionInput, Status, Task, TaskKind, TaskState
from domain.declaration import Declaration, Money, Quantity
from domain.licence import DepletionRequest, LicenceCreate
from domain.mrn import make_mrn
from screening.lists import ListEntry
from sop.model import SopRef
from store import clearances, licence_admin, licences, principals, reference, screening_lists, sops
from store.db import Database
from tests.support import example, sop_definition

pytestmark = pytest.mark.store


def licence(reference: str, quantity: str = "100", amount: str = "1000.00") -> LicenceCreate:
    return LicenceCreate.model_validate(
        {
            "reference": reference,
            "holder_eori": "DE555000111222333",
            "destinations": ["JP", "KR"],
            "items": [
                {
                    "control_code": "6A003",
                    "quantity": {"value": quantity, "unit": "pcs"},
                    "value": {"amount": amount, "currency": "EUR"},
                }
            ],
            "valid_from": "2026-01-01",
            "valid_until": "2026-12-31",
        }
    )


def request(mrn: str, seq: int = 1, qty: str = "10", amount: str = "100.00", **changes: object) -> DepletionRequest:
    values: dict[str, object] = {
        "mrn": mrn,
        "item_sequence": seq,
        "holder_eori": "DE555000111222333",
        "destination": "JP",
        "control_code": "6A003",
        "commodity_code": "90138000",
        "quantity": Quantity(value=Decimal(qty), unit="pcs"),
        "value": Money(amount=Decimal(amount), currency="EUR"),
        "on": date(2026, 6, 1),
    }
    values.update(changes)
    return DepletionRequest.model_validate(values)


def ref() -> str:
    return f"L-{uuid.uuid4().hex[:12].upper()}"


def new_mrn() -> str:
    return make_mrn(year=2026, country="DE", key=uuid.uuid4().hex[:13].upper())


async def test_depletion_happens_once_per_goods_item_even_when_retried(store_db: Database) -> None:
    reference = ref()
    async with store_db.session() as s:
        await licences.register(s, licence(reference), by="t", issuer_agency="DEMO-EXPORT-CONTROL")
    mrn = new_mrn()
    for _ in range(3):
        async with store_db.session() as s:
            result = await licences.deplete(s, request(mrn, licence_reference=reference))
        assert result.covered and result.licence_reference == reference and result.quantity == Decimal("10.000")
    async with store_db.session() as s:
        view = await licences.get_view(s, reference, today=date(2026, 6, 1))
    assert view is not None and view.items[0].remaining.quantity is not None
    assert view.items[0].remaining.quantity.value == Decimal("90.000")
    assert view.items[0].remaining.value is not None and view.items[0].remaining.value.amount == Decimal("900.00")
    assert [(d.mrn, d.item_sequence) for d in view.depletions] == [(mrn, 1)]


async def test_concurrent_depletions_never_overdraw_a_licence(store_db: Database) -> None:
    reference = ref()
    async with store_db.session() as s:
        await licences.register(
            s, licence(reference, quantity="50", amount="100000.00"), by="t", issuer_agency="DEMO-EXPORT-CONTROL"
        )

    async def take(n: int) -> bool:
        async with store_db.session() as s:
            return (await licences.deplete(s, request(new_mrn(), qty="10", licence_reference=reference))).covered

    results = await asyncio.gather(*(take(n) for n in range(8)))
    assert sum(results) == 5
    async with store_db.session() as s:
        view = await licences.get_view(s, reference, today=date(2026, 6, 1))
    assert view is not None and view.items[0].remaining.quantity.value == Decimal("0.000")  # type: ignore[union-attr]
    assert len(view.depletions) == 5


async def test_unfit_licences_are_explained(store_db: Database) -> None:
    reference = ref()
    async with store_db.session() as s:
        await licences.register(s, licence(reference, quantity="5"), by="t", issuer_agency="DEMO-EXPORT-CONTROL")
        too_much = await licences.deplete(s, request(new_mrn(), qty="6", licence_reference=reference))
        wrong_place = await licences.deplete(s, request(new_mrn(), destination="CN", licence_reference=reference))
        expired = await licences.deplete(s, request(new_mrn(), on=date(2027, 1, 1), licence_reference=reference))
        wrong_unit = await licences.deplete(
            s, request(new_mrn(), licence_reference=reference, quantity=Quantity(value=Decimal(1), unit="kg"))
        )
    assert not too_much.covered and "remaining quantity 5.000 too small" in (too_much.reason or "")
    assert not wrong_place.covered and "destination CN not licensed" in (wrong_place.reason or "")
    assert not expired.covered and "valid on 2027-01-01" in (expired.reason or "")
    assert not wrong_unit.covered and "declared in pcs" in (wrong_unit.reason or "")


async def test_restore_gives_back_once(store_db: Database) -> None:
    reference = ref()
    mrn = new_mrn()
    async with store_db.session() as s:
        await licences.register(s, licence(reference), by="t", issuer_agency="DEMO-EXPORT-CONTROL")
        await licences.deplete(s, request(mrn, qty="30", licence_reference=reference))
        assert await licences.restore(s, mrn=mrn, reason="not released") == 1
        assert await licences.restore(s, mrn=mrn, reason="not released") == 0
        view = await licences.get_view(s, reference, today=date(2026, 6, 1))
    assert view is not None and view.items[0].remaining.quantity.value == Decimal("100.000")  # type: ignore[union-attr]
    assert view.depletions[0].restored_at is not None


async def test_a_suspended_licence_depletes_nothing_even_when_suspended_after_the_candidates_were_read(
    store_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = ref()
    async with store_db.session() as s:
        await licences.register(s, licence(reference), by="t", issuer_agency="DEMO-EXPORT-CONTROL")
        stale = await licences._candidates(s, request(new_mrn(), licence_reference=reference))
        assert [c.state for c in stale] == ["active"]
        await licence_admin.change_state(s, reference, action="suspend", by="t", reason="end-use check")
        plain = await licences.deplete(s, request(new_mrn(), licence_reference=reference))
    assert not plain.covered and "suspended by its issuing authority" in (plain.reason or "")

    async def candidates_read_before_the_suspension(*_: object) -> list[object]:
        return list(stale)

    monkeypatch.setattr(licences, "_candidates", candidates_read_before_the_suspension)
    async with store_db.session() as s:
        raced = await licences.deplete(s, request(new_mrn(), licence_reference=reference))
        view = await licences.get_view(s, reference, today=date(2026, 6, 1))
    assert not raced.covered
    assert view is not None and view.depletions == [] and view.state == "suspended"
    assert view.items[0].remaining.quantity.value == Decimal("100.000")  # type: ignore[union-attr]


async def test_duplicate_licence_reference_is_refused(store_db: Database) -> None:
    reference = ref()
    async with store_db.session() as s:
        await licences.register(s, licence(reference), by="t", issuer_agency="DEMO-EXPORT-CONTROL")
        with pytest.raises(licences.LicenceExists):
            await licences.register(s, licence(reference), by="t", issuer_agency="DEMO-EXPORT-CONTROL")


def view(mrn: str, revision: int, status: Status) -> ClearanceView:
    now = datetime.now(UTC)
    return ClearanceView(
        mrn=mrn,
        lrn="L",
        workflow_id=f"clearance-{mrn}",
        declarant_eori="DE123456789012345",
        agency="DEMO-CUSTOMS",
        status=status,
        stage="risk",
        sop=SopRef(name="s", version=1, hash="h"),
        declaration=Declaration.model_validate(example("green-lane")),
        accepted_at=now,
        updated_at=now,
        revision=revision,
    )


async def test_read_model_only_moves_forward_and_audit_is_written_once(store_db: Database) -> None:
    mrn = new_mrn()
    event = AuditEvent(seq=1, at=datetime.now(UTC), kind="accepted")
    async with store_db.session() as s:
        await clearances.project(s, ProjectionInput(view=view(mrn, 2, Status.awaiting_decision), audit=[event]))
        await clearances.project(s, ProjectionInput(view=view(mrn, 1, Status.in_progress), audit=[event]))
        record = await clearances.get_record(s, mrn)
        trail = await clearances.audit_trail(s, mrn)
    assert record is not None and record.status == "awaiting_decision" and record.revision == 2
    assert [e.seq for e in trail] == [1]


async def test_hot_path_rows_read_each_commit_as_it_lands_and_read_like_the_models(store_db: Database) -> None:
    """`Database.rows` (a declarant's poll, lodging's look-ups) runs on SQLite on one long-lived autocommit
    connection: each read sees what was committed before it, never an older snapshot, and its rows read by
    attribute as the models do. A failed statement costs the connection, not the next read."""
    mrn = new_mrn()
    assert await clearances.read_record(store_db, mrn) is None
    async with store_db.writer() as s:
        await clearances.project(s, ProjectionInput(view=view(mrn, 1, Status.in_progress), audit=[]))
    first = await clearances.read_record(store_db, mrn)
    async with store_db.writer() as s:
        await clearances.project(s, ProjectionInput(view=view(mrn, 2, Status.awaiting_decision), audit=[]))
    second = await clearances.read_record(store_db, mrn)
    name = f"hot-{uuid.uuid4().hex[:8]}"
    assert await sops.read_latest_version(store_db, name) is None
    async with store_db.writer() as s:
        for version in (1, 2):
            await sops.publish(s, sop_definition(version, name=name), by="tests")
        await s.commit()
    async with store_db.session() as s:
        model = await clearances.get_record(s, mrn)
        revisions = await screening_lists.revisions(s)
    assert first is not None and first.revision == 1 and first.status == "in_progress"
    assert second is not None and model is not None and second.revision == 2 and second.status == "awaiting_decision"
    assert (second.view, second.updated_at, second.accepted_at) == (model.view, model.updated_at, model.accepted_at)
    assert await sops.read_latest_version(store_db, name) == 2
    assert await screening_lists.read_revisions(store_db) == revisions
    with pytest.raises(Exception, match="no_such_table"):
        await store_db.rows(text("SELECT * FROM no_such_table"))
    again = await clearances.read_record(store_db, mrn)
    assert again is not None and again.revision == 2


async def test_task_rows_take_only_newer_versions(store_db: Database) -> None:
    now = datetime.now(UTC)
    task = Task(
        id=f"T{uuid.uuid4().hex[:10]}",
        mrn="M",
        workflow_id="w",
        kind=TaskKind.approval,
        role="supervisor",
        agency="DEMO-CUSTOMS",
        title="Approval",
        due_at=now + timedelta(hours=1),
        created_at=now,
        version=2,
        state=TaskState.completed,
    )
    async with store_db.session() as s:
        await clearances.project_tasks(s, [task], "M", [])
        await clearances.project_tasks(s, [task.model_copy(update={"version": 1, "state": TaskState.open})], "M", [])
        rows = await clearances.list_tasks(s, agency="DEMO-CUSTOMS", roles=["supervisor"], state="completed", mrn="M")
    assert [r.id for r in rows] == [task.id]


async def test_published_sop_versions_are_immutable(store_db: Database) -> None:
    name = f"sop-{uuid.uuid4().hex[:6]}"
    v1 = sop_definition(1, name=name)
    async with store_db.session() as s:
        _, created = await sops.publish(s, v1, by="t")
        _, again = await sops.publish(s, v1, by="t")
        assert created and not again
        changed = v1.model_copy(update={"title": "something else"})
        with pytest.raises(sops.SopConflict, match="publish it as version 2"):
            await sops.publish(s, changed, by="t")
        await sops.publish(s, sop_definition(2, name=name), by="t")
        latest = await sops.latest(s, name)
    assert latest is not None and latest.ref.version == 2 and latest.definition == sop_definition(2, name=name)


async def test_list_import_replaces_atomically_and_bumps_the_revision(store_db: Database) -> None:
    name = f"list-{uuid.uuid4().hex[:6]}"

    def entry(i: str) -> ListEntry:
        return ListEntry(
            list=name,
            entry_id=i,
            name=f"Entity {i}",
            alt_names=[],
            countries=["RU"],
            addresses=[],
            programs=["EL"],
            source="test",
            entity_type="Entity",
            remarks=None,
        )

    async with store_db.session() as s:
        before = await screening_lists.revision(s)
        first = await screening_lists.replace_list(s, name=name, entries=[entry("a"), entry("b")], by="t")
        assert (first.imported, first.updated, first.removed) == (2, 0, 0)
        second = await screening_lists.replace_list(s, name=name, entries=[entry("b"), entry("c")], by="t")
        assert (second.imported, second.updated, second.removed) == (1, 1, 1)
        assert [e.entry_id for e in second.changed] == ["c"]  # "b" is unchanged
        assert second.revision == first.revision + 1
        assert [e.entry_id for e in await screening_lists.changed_entries(s, name=name, revision=second.revision)] == [
            "c"
        ]
        after = await screening_lists.revision(s)
        ids = sorted(e.entry_id for e in await screening_lists.all_entries(s) if e.list == name)
    assert after > before and ids == ["b", "c"]


async def test_tokens_are_stored_hashed_and_resolve_to_their_principal(store_db: Database) -> None:
    pid = f"p-{uuid.uuid4().hex[:6]}"
    async with store_db.session() as s:
        await principals.upsert_principal(s, id=pid, name="P", agency="A", roles=["auditor"])
        token = await principals.issue_token(s, principal_id=pid)
        found = await principals.principal_for_token(s, token)
        assert found is not None and found.id == pid
        assert await principals.principal_for_token(s, token + "x") is None
        with pytest.raises(ValueError, match="unknown roles"):
            await principals.upsert_principal(s, id=pid, name="P", agency="A", roles=["wizard"])


async def test_commodity_codes_classify_by_longest_prefix(store_db: Database) -> None:
    async with store_db.session() as s:
        data = await reference.load(s)
    found = data.classify(["90138000", "85176200", "82054000"])
    embargo = data.embargo_for("KP")
    assert found["90138000"].control_code == "6A003" and found["85176200"].control_code == "5A002"
    assert "82054000" not in found
    assert embargo is not None and embargo.scope == "all"
