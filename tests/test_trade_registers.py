"""The representation register decides who may lodge for which exporter (audited, in the view), refusals name
only the declarant's own standing, and AEO status comes from the AEO register, not from the declaration."""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain.licence import stricter_control_code
from store import register_audit
from tests.conftest import Stack
from tests.e2e import clearance, licence_body, lodge, new_licence_reference, wait_for, with_licence_document
from tests.support import example

pytestmark = pytest.mark.e2e

OTHER = "FR999888777666555"  # other_declarant's EORI (tests/support.py)
GREEN_EXPORTER = "DE987654321000001"


def _as_other(**changes: Any) -> dict[str, Any]:
    body = example("green-lane", **changes)
    body["declarant"] = {"eori": OTHER, "name": "Autre Transit SARL"}
    return body


async def _represent(stack: Stack, **changes: Any) -> dict[str, Any]:
    body = {"declarant_eori": OTHER, "exporter_eori": GREEN_EXPORTER, "kind": "indirect", "valid_from": "2026-01-01"}
    created = await stack.http.post(
        "/v1/representations", json={**body, **changes}, headers=stack.auth("customs_officer")
    )
    assert created.status_code == 201, created.text
    return created.json()


async def test_a_declarant_lodges_only_for_the_exporters_it_represents(stack: Stack) -> None:
    refused = await stack.http.post("/v1/declarations", json=_as_other(), headers=stack.auth("other_declarant"))
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        f"declarant {OTHER} is not registered to represent the exporter named in this declaration"
    )
    lapsed = await _represent(stack, valid_from="2025-01-01", valid_until="2025-12-31")
    again = await stack.http.post("/v1/declarations", json=_as_other(), headers=stack.auth("other_declarant"))
    assert again.status_code == 403

    representation = await _represent(stack)
    mrn = (await lodge(stack, _as_other(), who="other_declarant"))["mrn"]
    view = await wait_for(stack, mrn, lambda v: v["status"] != "accepted")
    assert view["trade"]["representation"] == "indirect"
    assert view["trade"]["representation_id"] == representation["id"]
    trail = (await stack.http.get(f"/v1/clearances/{mrn}/audit", headers=stack.auth("auditor"))).json()["events"]
    [accepted] = [e for e in trail if e["kind"] == "accepted"]
    assert accepted["detail"]["trade"]["representation"] == "indirect"

    mine = (await stack.http.get("/v1/representations", headers=stack.auth("other_declarant"))).json()["items"]
    assert {r["id"] for r in mine} == {lapsed["id"], representation["id"]}
    assert all(r["declarant_eori"] == OTHER for r in mine)
    seen = (await stack.http.get("/v1/representations", headers=stack.auth("declarant"))).json()["items"]
    assert seen and all(r["declarant_eori"] == "DE123456789012345" for r in seen)

    removed = await stack.http.delete(
        f"/v1/representations/{representation['id']}", headers=stack.auth("customs_officer")
    )
    assert removed.status_code == 200 and removed.json()["removed_by"] == "customs_officer"
    assert (
        await stack.http.delete(f"/v1/representations/{representation['id']}", headers=stack.auth("customs_officer"))
    ).status_code == 409
    after = await stack.http.post("/v1/declarations", json=_as_other(), headers=stack.auth("other_declarant"))
    assert after.status_code == 403
    async with stack.db.session() as session:
        chain = await register_audit.trail(session, register_audit.subject_key("REP", representation["id"]))
    assert [(e.kind, e.actor) for e in chain] == [
        ("representation_registered", "customs_officer"),
        ("representation_removed", "customs_officer"),
    ]


async def test_aeo_status_comes_from_the_register_and_the_claim_is_recorded(stack: Stack) -> None:
    green = (await lodge(stack, example("green-lane", aeo=False)))["mrn"]  # a registered AEO that did not say so
    claimed = (await lodge(stack, example("dual-use-licensed", aeo=True)))["mrn"]  # not in the AEO register
    registered = await wait_for(stack, green, lambda v: v["status"] != "accepted")
    assert registered["trade"]["aeo"] == {
        "claimed": False,
        "applied": True,
        "source": "register",
        "aeo_type": "AEOF",
        "issuing_country": "DE",
        "mra_recognised": False,
    }
    assert registered["declaration"]["aeo"] is True
    unregistered = await clearance(stack, claimed)
    assert unregistered["trade"]["aeo"]["claimed"] is True and unregistered["trade"]["aeo"]["applied"] is False
    assert unregistered["declaration"]["aeo"] is False


async def test_a_licence_refusal_never_shows_another_holders_licence(stack: Stack) -> None:
    reference = new_licence_reference()
    others = licence_body(reference, holder="DE000111222333444")  # another exporter's licence
    created = await stack.http.post("/v1/licences", json=others, headers=stack.auth("export_control_officer"))
    assert created.status_code == 201
    mrn = (await lodge(stack, with_licence_document(example("dual-use-licensed"), reference)))["mrn"]
    await wait_for(stack, mrn, lambda v: v["outcome"] is not None)
    own = json.dumps(await clearance(stack, mrn, "declarant"))
    assert "DE000111222333444" not in own and "100.000" not in own and "remaining" not in own


@pytest.mark.parametrize(
    ("declared", "table", "applies"),
    [
        (None, None, (None, None)),
        ("6A003", None, ("6A003", "declared")),  # controlled beats uncontrolled: the declaration's code
        (None, "5A002", ("5A002", "commodity_table")),  # ... and the control list's
        ("5A002", "6A003", ("6A003", "commodity_table")),  # both: the authority's list, never the trader's pick
        ("6A003", "6A003", ("6A003", "commodity_table")),
    ],
)
def test_the_stricter_control_code_applies(declared: str | None, table: str | None, applies: tuple[Any, Any]) -> None:
    assert stricter_control_code(declared, table) == applies


async def test_a_declared_control_code_on_an_unlisted_commodity_still_needs_a_licence(stack: Stack) -> None:
    body = example("green-lane")
    body["goods_items"][0]["control_code"] = "6A003"  # the control list has no code for this commodity
    view = await wait_for(stack, (await lodge(stack, body))["mrn"], lambda v: v["outcome"] is not None)
    [item] = view["licences"]["items"]
    assert (item["control_code"], item["control_source"], item["table_control_code"]) == ("6A003", "declared", None)
    assert view["outcome"] == "not_released"
