"""The OpenAPI document (api/openapi.py): what it declares, and the error answers it declares, over the real app."""

from __future__ import annotations

from typing import Any

import pytest

from api.main import create_app
from api.openapi import ROUTE_STATUSES, ValidationErrorBody
from domain.mrn import is_valid_mrn
from settings import Settings
from tests.conftest import Stack

METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(Settings(environment="test")).openapi()


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def test_every_v1_operation_declares_its_statuses_and_no_entry_is_stale(document: dict[str, Any]) -> None:
    v1 = {key for key in operations(document) if key[1].startswith(("/v1/", "/codec/"))}
    assert v1 - set(ROUTE_STATUSES) == set(), "add these to api/openapi.py ROUTE_STATUSES"
    assert set(ROUTE_STATUSES) - v1 == set(), "these ROUTE_STATUSES entries name no operation"


def test_errors_are_documented_as_sent(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert schemas["ValidationErrorBody"]["properties"]["detail"]["type"] == "string"
    for (method, path), operation in operations(document).items():
        responses = operation["responses"]
        assert "503" in responses, (method, path)
        assert path == "/readyz" or responses["503"]["headers"]["Retry-After"]["required"]
        for status, response in responses.items():
            if status.startswith(("4", "5")) and path != "/readyz":
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("ValidationErrorBody" if status == "422" else "ErrorBody"), (method, path, status)
        if path.startswith("/v1/"):
            assert operation["security"] == [{"bearer": []}]
            assert "401" in responses
            assert all(p["name"] != "authorization" for p in operation.get("parameters", []))
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearer"]["description"],
    }
    lodge = operations(document)[("POST", "/v1/declarations")]["responses"]
    assert {"200", "202", "401", "403", "409", "413", "415", "422", "503"} <= set(lodge)


def test_constraints_and_media_types(document: dict[str, Any]) -> None:
    ops = operations(document)
    mrn = next(p for p in ops[("GET", "/v1/clearances/{mrn}")]["parameters"] if p["name"] == "mrn")
    assert "ISO 6346" in mrn["description"]
    assert all(is_valid_mrn(example) for example in mrn["schema"]["examples"])
    cursor = next(p for p in ops[("GET", "/v1/clearances")]["parameters"] if p["name"] == "cursor")
    assert cursor["schema"]["pattern"] == "^[A-Za-z0-9_-]{0,200}$"
    assert list(ops[("GET", "/metrics")]["responses"]["200"]["content"]) == ["text/plain"]
    html = ("/v1/clearances/{mrn}/documents/{kind}", "/v1/sops/{name}/versions/{version}/document")
    for key in (("GET", path) for path in html):
        assert list(ops[key]["responses"]["200"]["content"]) == ["text/html"]
    assert not any(path.startswith("/console") for path in document["paths"])
    country = document["components"]["schemas"]["Address"]["properties"]["country"]
    assert country["pattern"] == "^[A-Z]{2}$"


async def test_a_wrong_method_names_every_method_of_the_path(stack: Stack) -> None:
    response = await stack.http.patch("/v1/screening/false-positives", headers=stack.auth("customs_officer"))
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} >= {"GET", "POST"}
    assert response.json() == {"detail": "Method Not Allowed"}


async def test_a_body_that_is_not_utf8_is_a_422_at_the_body(stack: Stack) -> None:
    response = await stack.http.post(
        "/v1/screening/check",
        content=b'{"name": "\xff\xfe"}',
        headers={**stack.auth("customs_officer"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    body = ValidationErrorBody.model_validate(response.json())
    assert body.errors[0].loc[0] == "body"
