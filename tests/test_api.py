"""The HTTP contract's edges: authentication, validation errors with field paths, reference data endpoints,
the SOP catalogue and operations endpoints. Bad input changes nothing."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.conftest import Stack
from tests.e2e import licence_body, new_licence_reference
from tests.support import ROOT, example, sop_data

pytestmark = pytest.mark.e2e


async def test_invalid_declarations_get_422_with_every_field_path_and_start_nothing(stack: Stack) -> None:
    body = example("green-lane", country_of_destination="ZZ")
    body["goods_items"][0]["commodity_code"] = "12"
    body["goods_items"][0]["gross_mass_kg"] = 1.0
    response = await stack.http.post("/v1/declarations", json=body, headers=stack.auth("declarant"))
    assert response.status_code == 422
    locs = [e["loc"] for e in response.json()["errors"]]
    assert ["body", "country_of_destination"] in locs and ["body", "goods_items", 0, "commodity_code"] in locs
    assert all(isinstance(e["msg"], str) and e["msg"] for e in response.json()["errors"])
    # nothing was started: the LRN is still free
    body = example("green-lane", lrn=body["lrn"])
    assert (await stack.http.post("/v1/declarations", json=body, headers=stack.auth("declarant"))).status_code == 202


async def test_malformed_json_and_oversized_bodies_are_refused(stack: Stack) -> None:
    broken = await stack.http.post(
        "/v1/declarations",
        content=b"{not json",
        headers={**stack.auth("declarant"), "Content-Type": "application/json"},
    )
    assert broken.status_code == 422 and broken.json()["errors"]
    huge = await stack.http.post(
        "/v1/declarations",
        content=b"x" * (2 * 1024 * 1024),
        headers={**stack.auth("declarant"), "Content-Type": "application/json"},
    )
    assert huge.status_code == 413


async def test_only_the_declarant_named_in_the_declaration_may_lodge_it(stack: Stack) -> None:
    body = example("green-lane")
    for who, status in (("customs_officer", 403), ("other_declarant", 403)):
        response = await stack.http.post("/v1/declarations", json=body, headers=stack.auth(who))
        assert response.status_code == status, who
    assert (await stack.http.post("/v1/declarations", json=body)).status_code == 401


async def test_licences_register_once_with_validation_and_are_read_by_officers_and_holder(stack: Stack) -> None:
    reference = new_licence_reference()
    officer = stack.auth("export_control_officer")
    bad = licence_body(reference, destinations=["XX"])
    bad["valid_until"] = "2020-01-01"
    response = await stack.http.post("/v1/licences", json=bad, headers=officer)
    assert response.status_code == 422
    locs = [e["loc"] for e in response.json()["errors"]]
    assert ["body", "destinations", 0] in locs
    assert (
        await stack.http.post("/v1/licences", json=licence_body(reference), headers=stack.auth("customs_officer"))
    ).status_code == 403
    created = await stack.http.post("/v1/licences", json=licence_body(reference), headers=officer)
    assert created.status_code == 201 and created.headers["location"] == f"/v1/licences/{reference}"
    assert created.json()["items"][0]["remaining"]["quantity"] == {"value": "100.000", "unit": "pcs"}
    assert (await stack.http.post("/v1/licences", json=licence_body(reference), headers=officer)).status_code == 409
    # its authority and its holder; customs only once one of its clearances used it (tests/test_licence_ownership.py)
    for who, status in (
        ("exporter_holder", 200),
        ("export_control_officer", 200),
        ("auditor", 403),
        ("declarant", 403),
    ):
        assert (await stack.http.get(f"/v1/licences/{reference}", headers=stack.auth(who))).status_code == status
    assert (await stack.http.get("/v1/licences/NOPE-1", headers=officer)).status_code == 404


CSV = """_id,source,entity_number,type,programs,name,title,addresses,alt_names,nationalities
c-1,Entity List,1,Entity,EL,Zephyr Avionics Ltd,,"1 Road, Minsk, , 220000, BY",Zephyr Avia; Зефир Авиа,
c-2,Entity List,2,Entity,EL,,,,,
"""


async def test_screening_list_import_reports_rejected_rows_and_replaces_the_list(stack: Stack) -> None:
    officer = stack.auth("export_control_officer")
    name = f"test-{uuid.uuid4().hex[:6]}"
    response = await stack.http.post(
        f"/v1/screening-lists/{name}/import", content=CSV.encode(), headers={**officer, "Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["imported"], result["updated"]) == (1, 0) and result["rejected"][0]["row"] == 2
    check = await stack.http.post(
        "/v1/screening/check",
        json={"name": "ZEPHYR AVIONICS LIMITED", "country": "BY"},
        headers=stack.auth("customs_officer"),
    )
    assert check.status_code == 200
    best = check.json()["matches"][0]
    assert (best["list"], best["entry_id"]) == (name, "c-1") and best["score"] >= 88
    again = await stack.http.post(
        f"/v1/screening-lists/{name}/import", content=CSV.encode(), headers={**officer, "Content-Type": "text/csv"}
    )
    assert (again.json()["imported"], again.json()["updated"]) == (0, 1)
    garbage = await stack.http.post(
        f"/v1/screening-lists/{name}/import",
        content=b"\x00\x01 garbage",
        headers={**officer, "Content-Type": "application/octet-stream"},
    )
    assert garbage.status_code == 422
    still = await stack.http.post(
        "/v1/screening/check", json={"name": "Zephyr Avionics"}, headers=stack.auth("customs_officer")
    )
    assert still.json()["matches"], "a refused import must leave the list as it was"
    assert (
        await stack.http.post("/v1/screening-lists/BAD NAME/import", content=CSV.encode(), headers=officer)
    ).status_code == 422
    assert (
        await stack.http.post(
            f"/v1/screening-lists/{name}/import", content=CSV.encode(), headers=stack.auth("declarant")
        )
    ).status_code == 403


async def test_screening_check_validates_its_input(stack: Stack) -> None:
    response = await stack.http.post(
        "/v1/screening/check", json={"name": "", "country": "XX"}, headers=stack.auth("customs_officer")
    )
    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["errors"]} == {("body", "name"), ("body", "country")}


async def test_sop_catalogue_lists_versions_definitions_and_documents(stack: Stack) -> None:
    catalogue = (await stack.http.get("/v1/sops", headers=stack.auth("declarant"))).json()
    entry = next(s for s in catalogue if s["name"] == "test-clearance")
    assert entry["latest"] == entry["versions"][-1]["version"] and len(entry["versions"][0]["hash"]) == 64
    definition = await stack.http.get("/v1/sops/test-clearance/versions/1", headers=stack.auth("auditor"))
    assert definition.status_code == 200 and definition.json()["steps"][0]["kind"] == "screening"
    assert definition.headers["etag"].strip('"') == entry["versions"][0]["hash"]
    document = await stack.http.get("/v1/sops/test-clearance/versions/1/document", headers=stack.auth("auditor"))
    assert document.status_code == 200 and "<svg" in document.text
    assert (
        await stack.http.get("/v1/sops/test-clearance/versions/99", headers=stack.auth("auditor"))
    ).status_code == 404


async def test_publishing_sops_validates_and_keeps_versions_immutable(stack: Stack) -> None:
    author = {**stack.auth("sop_author"), "Content-Type": "application/json"}
    data = sop_data(name=f"pub-{uuid.uuid4().hex[:6]}")
    assert (
        await stack.http.post(
            "/v1/sops",
            content=json.dumps(data),
            headers={**stack.auth("supervisor"), "Content-Type": "application/json"},
        )
    ).status_code == 403
    created = await stack.http.post("/v1/sops", content=json.dumps(data), headers=author)
    assert created.status_code == 201 and created.json()["version"] == 1
    assert (await stack.http.post("/v1/sops", content=json.dumps(data), headers=author)).status_code == 200
    data["title"] = "changed"
    assert (await stack.http.post("/v1/sops", content=json.dumps(data), headers=author)).status_code == 409
    data["steps"][2]["rules"][0]["when"] = "controled"
    data["version"] = 2
    invalid = await stack.http.post("/v1/sops", content=json.dumps(data), headers=author)
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["loc"] == ["body", "steps", "risk", "rules", "controlled_goods", "when"]
    yaml_text = (
        (ROOT / "sop" / "export-clearance" / "v1.yaml")
        .read_text()
        .replace("name: export-clearance", f"name: yaml-{uuid.uuid4().hex[:6]}")
    )
    assert (
        await stack.http.post(
            "/v1/sops", content=yaml_text, headers={**stack.auth("sop_author"), "Content-Type": "application/yaml"}
        )
    ).status_code == 201


async def test_tasks_endpoint_checks_roles_and_query(stack: Stack) -> None:
    assert (await stack.http.get("/v1/tasks", headers=stack.auth("declarant"))).status_code == 403
    assert (
        await stack.http.get("/v1/tasks", params={"role": "supervisor"}, headers=stack.auth("inspector"))
    ).status_code == 403
    assert (
        await stack.http.get("/v1/tasks", params={"state": "weird"}, headers=stack.auth("inspector"))
    ).status_code == 422
    assert (await stack.http.post("/v1/tasks/nope/claim", headers=stack.auth("inspector"))).status_code == 404
    bad = await stack.http.post("/v1/tasks/nope/complete", json={"outcome": "x"}, headers=stack.auth("inspector"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "reason"]


async def test_health_readiness_metrics_and_openapi(stack: Stack) -> None:
    assert (await stack.http.get("/healthz")).json() == {"status": "ok"}
    ready = await stack.http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok" and ready.json()["temporal"] == "ok"
    metrics = await stack.http.get("/metrics")
    assert "clearance_http_requests_total" in metrics.text
    spec = (await stack.http.get("/openapi.json")).json()
    for path in (
        "/v1/declarations",
        "/v1/clearances/{mrn}",
        "/v1/clearances",
        "/v1/clearances/{mrn}/invalidation",
        "/v1/clearances/{mrn}/documents/{kind}",
        "/v1/tasks",
        "/v1/tasks/{task_id}/claim",
        "/v1/tasks/{task_id}/complete",
        "/v1/licences",
        "/v1/licences/{reference}",
        "/v1/screening-lists/{list_name}/import",
        "/v1/screening/check",
        "/v1/sops",
        "/v1/sops/{name}/versions/{version}",
        "/v1/sops/{name}/versions/{version}/document",
        "/healthz",
        "/readyz",
        "/metrics",
    ):
        assert path in spec["paths"], path
