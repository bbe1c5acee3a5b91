"""Licences belong to the export-control authority that issued them: only its officers change them, a suspended
licence depletes nothing from that instant, customs reads a licence only once its own clearance used it (audited),
and the registry protocol depletes and restores only for the calling agency's own clearances."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from domain.mrn import make_mrn
from store import licence_admin
from tests.conftest import Stack
from tests.e2e import completed, licence_body, lodge, new_licence_reference, wait_for, with_licence_document
from tests.support import example

pytestmark = pytest.mark.e2e

ISSUER = "export_control_officer"  # of DEMO-EXPORT-CONTROL (tests/support.py)


async def _register(stack: Stack, **changes: Any) -> str:
    reference = new_licence_reference()
    created = await stack.http.post("/v1/licences", json=licence_body(reference, **changes), headers=stack.auth(ISSUER))
    assert created.status_code == 201, created.text
    assert created.json()["issuer_agency"] == "DEMO-EXPORT-CONTROL"
    return reference


async def _licence(stack: Stack, reference: str, who: str = ISSUER) -> dict[str, Any]:
    response = await stack.http.get(f"/v1/licences/{reference}", headers=stack.auth(who))
    assert response.status_code == 200, response.text
    return response.json()


async def _state(stack: Stack, reference: str, path: str, who: str = ISSUER) -> Any:
    return await stack.http.post(
        f"/v1/licences/{reference}/{path}", json={"reason": "end-use check pending"}, headers=stack.auth(who)
    )


async def _lodged_with(stack: Stack, reference: str) -> dict[str, Any]:
    """A dual-use declaration naming the licence, once its licence check has run."""
    mrn = (await lodge(stack, with_licence_document(example("dual-use-licensed"), reference)))["mrn"]
    return await wait_for(stack, mrn, lambda v: v.get("licences") is not None or completed(v))


async def test_only_the_issuing_authoritys_officers_register_and_change_a_licence(stack: Stack) -> None:
    # an export-control officer of a customs administration issues nothing
    refused = await stack.http.post(
        "/v1/licences", json=licence_body(new_licence_reference()), headers=stack.auth("multi_officer")
    )
    assert refused.status_code == 403 and "export-control authority" in refused.json()["detail"]
    reference = await _register(stack)
    for who in ("customs_officer", "supervisor", "foreign_officer", "multi_officer", "declarant"):
        assert (await _state(stack, reference, "suspension", who)).status_code == 403, who
        patched = await stack.http.patch(
            f"/v1/licences/{reference}", json={"valid_until": "2026-11-30", "reason": "x"}, headers=stack.auth(who)
        )
        assert patched.status_code == 403, who
    assert (await _licence(stack, reference))["state"] == "active"

    suspended = await _state(stack, reference, "suspension")
    assert suspended.status_code == 200 and suspended.json()["state"] == "suspended"
    assert suspended.json()["state_changed_by"] == ISSUER
    assert (await _state(stack, reference, "suspension")).status_code == 409
    assert (await _state(stack, reference, "reinstatement")).json()["state"] == "active"
    amended = await stack.http.patch(
        f"/v1/licences/{reference}",
        json={"items": [{"line": 1, "quantity": {"value": 150, "unit": "pcs"}}], "reason": "extension granted"},
        headers=stack.auth(ISSUER),
    )
    assert amended.status_code == 200, amended.text
    assert amended.json()["items"][0]["remaining"]["quantity"]["value"] == "150.000"
    assert (await _state(stack, reference, "revocation")).json()["state"] == "revoked"
    assert (await _state(stack, reference, "reinstatement")).status_code == 409  # revoked is final
    assert (await _state(stack, "NO-SUCH-LICENCE-1", "suspension")).status_code == 404

    async with stack.db.session() as session:
        trail = await licence_admin.licence_trail(session, reference)
    assert [e.kind for e in trail] == [
        "licence_registered",
        "licence_suspended",
        "licence_reinstated",
        "licence_amended",
        "licence_revoked",
    ]
    assert all(e.actor == ISSUER and e.detail["licence"] == reference for e in trail)


async def test_a_suspended_licence_stops_new_depletions_at_once(stack: Stack) -> None:
    reference = await _register(stack)
    assert (await _state(stack, reference, "suspension")).status_code == 200
    view = await _lodged_with(stack, reference)
    [item] = view["licences"]["items"]
    assert item["status"] == "no_licence" and "suspended" in item["reason"]
    await wait_for(stack, view["mrn"], completed)
    assert (await _licence(stack, reference))["depletions"] == []

    assert (await _state(stack, reference, "reinstatement")).status_code == 200
    view = await _lodged_with(stack, reference)
    assert view["licences"]["items"][0]["status"] == "covered"
    ledger = await stack.http.get(f"/v1/licences/{reference}/ledger", headers=stack.auth(ISSUER))
    assert ledger.status_code == 200, ledger.text
    [entry] = ledger.json()["entries"]
    assert (entry["kind"], entry["mrn"], entry["line"]) == ("depletion", view["mrn"], 1)
    assert entry["balance_after"]["quantity"]["value"] == "60.000"  # 100 licensed, 40 declared
    # the amendment cannot take the total below what is taken
    below = await stack.http.patch(
        f"/v1/licences/{reference}",
        json={"items": [{"line": 1, "quantity": {"value": 30, "unit": "pcs"}}], "reason": "cut"},
        headers=stack.auth(ISSUER),
    )
    assert below.status_code == 422 and below.json()["errors"][0]["loc"] == ["body", "items", 0, "quantity", "value"]
    for who in ("customs_officer", "declarant", "foreign_officer"):
        assert (await stack.http.get(f"/v1/licences/{reference}/ledger", headers=stack.auth(who))).status_code == 403, (
            who
        )


async def test_customs_reads_a_licence_only_once_its_own_clearance_used_it_and_that_read_is_audited(
    stack: Stack,
) -> None:
    reference = await _register(stack)
    for who in ("customs_officer", "auditor", "declarant", "foreign_officer"):
        response = await stack.http.get(f"/v1/licences/{reference}", headers=stack.auth(who))
        assert response.status_code == 403, who
    assert (await _licence(stack, reference, "exporter_holder"))["holder_eori"] == "DE555000111222333"
    view = await _lodged_with(stack, reference)
    assert view["licences"]["items"][0]["status"] == "covered"
    read = await _licence(stack, reference, "customs_officer")
    assert [d["mrn"] for d in read["depletions"]] == [view["mrn"]]
    assert (await stack.http.get(f"/v1/licences/{reference}", headers=stack.auth("foreign_officer"))).status_code == 403
    async with stack.db.session() as session:
        reads = [e for e in await licence_admin.licence_trail(session, reference) if e.kind == "licence_read"]
    assert [(e.actor, e.detail["agency"]) for e in reads] == [("customs_officer", "DEMO-CUSTOMS")]


async def test_the_registry_protocol_depletes_and_restores_only_for_the_callers_own_clearances(stack: Stack) -> None:
    reference = await _register(stack)
    invented = make_mrn(year=2026, country="DE", key=uuid.uuid4().hex[:13].upper())
    depletion = {
        "mrn": invented,
        "item_sequence": 1,
        "holder_eori": "DE555000111222333",
        "destination": "JP",
        "control_code": "6A003",
        "commodity_code": "90138000",
        "quantity": {"value": 100, "unit": "pcs"},
        "value": {"amount": "100.00", "currency": "EUR"},
        "on": "2026-06-01",
        "licence_reference": reference,
    }
    taken = await stack.http.post("/v1/licence-depletions", json=depletion, headers=stack.auth("admin"))
    assert taken.status_code == 404, taken.text
    restored = await stack.http.post(
        "/v1/licence-depletions/restorations", json={"mrn": invented, "reason": "x"}, headers=stack.auth("admin")
    )
    assert restored.status_code == 404
    assert (await _licence(stack, reference))["items"][0]["remaining"]["quantity"]["value"] == "100.000"

    view = await _lodged_with(stack, reference)  # a DEMO-CUSTOMS clearance that depleted 40
    assert view["licences"]["items"][0]["status"] == "covered"
    for who in ("export_control_officer", "foreign_officer"):  # officers of other agencies
        attempt = await stack.http.post(
            "/v1/licence-depletions/restorations", json={"mrn": view["mrn"], "reason": "x"}, headers=stack.auth(who)
        )
        assert attempt.status_code == 403, who
        again = await stack.http.post(
            "/v1/licence-depletions",
            json={**depletion, "mrn": view["mrn"], "item_sequence": 2},
            headers=stack.auth(who),
        )
        assert again.status_code == 403, who
    licence = await _licence(stack, reference)
    assert licence["items"][0]["remaining"]["quantity"]["value"] == "60.000"
    assert [d["restored_at"] for d in licence["depletions"]] == [None]


async def test_customs_reads_a_licence_its_clearance_named_even_when_it_depleted_nothing(stack: Stack) -> None:
    reference = await _register(stack)
    assert (await _state(stack, reference, "suspension")).status_code == 200
    assert (await stack.http.get(f"/v1/licences/{reference}", headers=stack.auth("customs_officer"))).status_code == 403
    view = await _lodged_with(stack, reference)
    assert view["licences"]["items"][0]["status"] == "no_licence"
    read = await _licence(stack, reference, "customs_officer")
    assert read["state"] == "suspended" and read["depletions"] == []
