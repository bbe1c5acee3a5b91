"""The agency registry: the demo agencies of the contract are seeded from reference/agencies.yaml and listed by
`GET /v1/agencies` to any authenticated principal; a bad registry file is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.agencies import load_registry

REFERENCE = Path(__file__).resolve().parent.parent / "reference" / "agencies.yaml"


def test_registry_file_names_the_contracts_demo_agencies() -> None:
    agencies = {a.id: a for a in load_registry(REFERENCE)}
    assert {a: (x.kind, x.country) for a, x in agencies.items()} == {
        "DEMO-CUSTOMS": ("customs", "DE"),
        "DEMO-EXPORT-CONTROL": ("export_control", "DE"),
        "DEMO-PARTNER-CUSTOMS": ("partner_customs", "JP"),
    }
    assert agencies["DEMO-PARTNER-CUSTOMS"].acts_for == ["CA", "JP"]
    assert agencies["DEMO-CUSTOMS"].acts_for == ["DE"]


def test_a_bad_registry_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "agencies.yaml"
    bad.write_text("agencies:\n  - {id: X-1, kind: customs, country: XX, name: x}\n")
    with pytest.raises(ValueError, match="ISO 3166"):
        load_registry(bad)
    bad.write_text(
        "agencies:\n"
        "  - {id: A1, kind: customs, country: DE, name: a}\n"
        "  - {id: A1, kind: customs, country: FR, name: b}\n"
    )
    with pytest.raises(ValueError, match="listed twice"):
        load_registry(bad)
    bad.write_text("agencies:\n  - {id: A1, kind: navy, country: DE, name: a}\n")
    with pytest.raises(ValueError):
        load_registry(bad)


async def test_any_principal_lists_the_agencies(stack) -> None:  # type: ignore[no-untyped-def]
    assert (await stack.http.get("/v1/agencies")).status_code == 401
    for who in ("declarant", "customs_officer"):
        listed = await stack.http.get("/v1/agencies", headers=stack.auth(who))
        assert listed.status_code == 200
        items = {a["id"]: a for a in listed.json()["items"]}
        assert items["DEMO-EXPORT-CONTROL"] == {
            "id": "DEMO-EXPORT-CONTROL",
            "kind": "export_control",
            "country": "DE",
            "name": "Demo Export-Control Authority (licences, DE)",
        }
    one = await stack.http.get("/v1/agencies/DEMO-PARTNER-CUSTOMS", headers=stack.auth("customs_officer"))
    assert one.status_code == 200 and one.json()["countries"] == ["CA", "JP"]
    missing = await stack.http.get("/v1/agencies/NOPE", headers=stack.auth("customs_officer"))
    assert missing.status_code == 404
