"""Hostile and careless input on the licence, task, clearance, webhook, SOP and report routes: every request gets
a clear 4xx (or a valid answer) and changes nothing; none gets a server error."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import psycopg
import pytest

from api.main import create_app
from store import principals
from store.db import Database
from tests.conftest import POSTGRES_ADMIN_URL, Stack
from tests.support import PRINCIPALS

pytestmark = pytest.mark.e2e

JSON = {"Content-Type": "application/json"}


def nested_json(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def errors_at(response: Any) -> list[list[Any]]:
    return [e["loc"] for e in response.json()["errors"]]


async def test_deeply_nested_sop_yaml_and_json_are_refused_with_422(stack: Stack) -> None:
    author = {**stack.auth("sop_author"), "Content-Type": "application/yaml"}
    for body in (b"steps: " + b"[" * 50_000, b"a:\n" + b"".join(b"  " * i + b"- \n" for i in range(1, 600))):
        response = await stack.http.post("/v1/sops", content=body, headers=author)
        assert response.status_code == 422, response.text
    as_json = {**stack.auth("sop_author"), **JSON}
    response = await stack.http.post("/v1/sops", content=nested_json(50_000), headers=as_json)
    assert response.status_code == 422 and "nested" in response.text, response.text


@pytest.mark.parametrize(
    ("method", "path", "who"),
    [
        ("POST", "/v1/declarations", "declarant"),
        ("POST", "/v1/licences", "export_control_officer"),
        ("POST", "/v1/licence-depletions", "export_control_officer"),
        ("POST", "/v1/webhooks", "customs_officer"),
        ("POST", "/v1/tasks/T-none/complete", "inspector"),
        ("POST", "/v1/tasks/T-none/comments", "inspector"),
    ],
)
async def test_json_nested_50000_deep_gets_422_on_any_json_route(
    stack: Stack, method: str, path: str, who: str
) -> None:
    for depth in (50_000, 900):
        response = await stack.http.request(
            method, path, content=nested_json(depth), headers={**stack.auth(who), **JSON}
        )
        assert response.status_code == 422, (depth, response.status_code, response.text[:300])
        assert errors_at(response) == [["body"]] and "nested" in response.text


async def test_path_integers_beyond_any_version_are_not_found(stack: Stack) -> None:
    for path in (
        "/v1/sops/x/versions/99999999999999999999999",
        "/v1/sops/export-clearance/versions/99999999999999999999999/document",
        "/v1/sops/test-clearance/versions/-1",
    ):
        response = await stack.http.get(path, headers=stack.auth("auditor"))
        assert response.status_code in (404, 422), (path, response.status_code, response.text)


async def test_a_cursor_with_a_naive_timestamp_is_refused_at_query_cursor(stack: Stack) -> None:
    for raw in ("2026-01-01T00:00:00|26DE0000000000000A0", "9999-12-31T23:59:59|x", "nonsense"):
        cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
        response = await stack.http.get(f"/v1/clearances?cursor={cursor}", headers=stack.auth("customs_officer"))
        assert response.status_code == 422, (raw, response.text)
        assert errors_at(response) == [["query", "cursor"]]


async def test_stage_time_reports_at_the_ends_of_the_calendar_answer_or_refuse_clearly(stack: Stack) -> None:
    officer = stack.auth("auditor")
    for query in ("to=9999-12-31", "from=9999-12-01&to=9999-12-31", "from=0001-01-01&to=0001-01-02"):
        response = await stack.http.get(f"/v1/reports/stage-times?{query}", headers=officer)
        assert response.status_code in (200, 422), (query, response.status_code, response.text)
        if response.status_code == 422:
            assert errors_at(response)[0][0] == "query"
    response = await stack.http.get("/v1/reports/stage-times?from=0001-01-01T00:00:00-23:59", headers=officer)
    assert response.status_code in (200, 422)


async def test_hostile_values_on_the_licence_routes(stack: Stack) -> None:
    officer = {**stack.auth("export_control_officer"), **JSON}
    base = {
        "reference": "DE-HOSTILE-1",
        "holder_eori": "DE555000111222333",
        "destinations": ["JP"],
        "valid_from": "2026-01-01",
        "valid_until": "2026-12-31",
        "items": [{"control_code": "6A003", "quantity": {"value": 100, "unit": "pcs"}}],
    }
    hostile_items = [
        {"control_code": "6A003", "quantity": {"value": "1e999999999", "unit": "pcs"}},
        {"control_code": "6A003", "quantity": {"value": 10**40, "unit": "pcs"}},
        {"control_code": "6A003", "value": {"amount": "NaN", "currency": "EUR"}},
        {"control_code": "6A003", "value": {"amount": "-Infinity", "currency": "EUR"}},
        {"control_code": "6A003" * 1000},
        {"control_code": "\uff16A\uff10\uff10\uff13"},  # full-width digits
    ]
    for item in hostile_items:
        response = await stack.http.post("/v1/licences", content=json.dumps({**base, "items": [item]}), headers=officer)
        assert response.status_code == 422, (item, response.text)
    for change in ({"valid_until": "99999-01-01"}, {"valid_from": "0000-01-01"}, {"reference": "Ä" * 10_000}):
        response = await stack.http.post("/v1/licences", content=json.dumps({**base, **change}), headers=officer)
        assert response.status_code == 422, (change, response.text)
    for reference in ("x" * 5000, "%00", "😀", "..%2F..%2Fetc"):
        response = await stack.http.get(f"/v1/licences/{reference}", headers=officer)
        assert response.status_code == 404, (reference, response.text)
    depletion = {
        "mrn": "26DE0000000000000A0",
        "item_sequence": 10**30,
        "holder_eori": "DE555000111222333",
        "destination": "JP",
        "control_code": "6A003",
        "commodity_code": "90138000",
        "value": {"amount": "1e400", "currency": "EUR"},
        "on": "2026-06-01",
    }
    response = await stack.http.post("/v1/licence-depletions", content=json.dumps(depletion), headers=officer)
    assert response.status_code == 422


async def test_hostile_values_on_tasks_clearances_and_webhooks(stack: Stack) -> None:
    officer = stack.auth("supervisor")
    for path in (
        "/v1/tasks?limit=-1",
        "/v1/tasks?limit=99999999999999999999999",
        "/v1/tasks?state=🙂",
        "/v1/clearances?limit=-5",
        "/v1/clearances?limit=1e9",
        "/v1/clearances?status=" + "x" * 5000,
        "/v1/webhooks/x/deliveries?limit=99999999999999999999999",
    ):
        response = await stack.http.get(path, headers=officer)
        assert response.status_code == 422, (path, response.status_code, response.text[:200])
    for path in (
        "/v1/tasks/" + "T" * 5000,
        "/v1/clearances/" + "😀" * 30,
        "/v1/webhooks/" + "w" * 5000 + "/deliveries",
    ):
        response = await stack.http.get(path, headers=officer)
        assert response.status_code in (404, 422), (path, response.status_code)
    for body in (
        {"url": "http://127.0.0.1:1/" + "a" * 100_000, "secret": "s" * 32},
        {"url": "javascript:alert(1)", "secret": "s" * 32},
        {"url": "http://127.0.0.1:1/x", "secret": "s" * 32, "events": ["clearance.outcome"] * 10_000},
        {"url": "http://127.0.0.1:1/x", "secret": 12345678901234567890},
    ):
        response = await stack.http.post("/v1/webhooks", content=json.dumps(body), headers={**officer, **JSON})
        assert response.status_code in (413, 422), (str(body)[:80], response.status_code, response.text[:200])
    for body in ({"text": "x" * 2001}, {"text": ["a"]}, {"text": None}, {"text": "\x00" * 10}):
        response = await stack.http.post(
            "/v1/tasks/T-none/comments", content=json.dumps(body), headers={**officer, **JSON}
        )
        assert response.status_code in (404, 422), (str(body)[:40], response.status_code)


@pytest.fixture(scope="module")
async def on_postgres(stack: Stack) -> AsyncIterator[Stack]:
    """The API on its own PostgreSQL database (whose text columns refuse NUL characters), with the stack's
    Temporal client."""
    name = f"clearance_hostile_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    db = Database(f"{base}/{name}")
    await db.init()
    tokens: dict[str, str] = {}
    async with db.session() as session:
        for pid, (roles, agency, eori) in PRINCIPALS.items():
            await principals.upsert_principal(session, id=pid, name=pid, agency=agency, roles=roles, eori=eori)
            tokens[pid] = await principals.issue_token(session, principal_id=pid)
    app = create_app(stack.settings, temporal=stack.client, db=db)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        yield Stack(http=http, client=stack.client, db=db, settings=stack.settings, tokens=tokens)
    await db.dispose()
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize(
    ("method", "path", "who"),
    [
        ("GET", "/v1/licences/DE%00X", "auditor"),
        ("GET", "/v1/tasks/T%00", "supervisor"),
        ("GET", "/v1/clearances/26DE%00", "customs_officer"),
        ("GET", "/v1/sops/x%00/versions/1", "auditor"),
        ("DELETE", "/v1/webhooks/w%00", "customs_officer"),
        ("GET", "/v1/tasks?mrn=26DE%00", "supervisor"),
        ("GET", "/v1/reports/stage-times?sop=x%00", "auditor"),
    ],
)
async def test_nul_characters_in_paths_and_queries_are_refused(
    on_postgres: Stack, method: str, path: str, who: str
) -> None:
    response = await on_postgres.http.request(method, path, headers=on_postgres.auth(who))
    assert response.status_code in (404, 422), (path, response.status_code, response.text[:200])


async def test_nul_characters_in_json_bodies_are_refused(on_postgres: Stack) -> None:
    officer = {**on_postgres.auth("supervisor"), **JSON}
    for path, body in (
        ("/v1/webhooks", '{"url": "http://127.0.0.1:1/x", "secret": "0123456789abcdef\\u0000"}'),
        ("/v1/tasks/T-1/reassign", '{"to": "inspector\\u0000", "reason": "r"}'),
        ("/v1/tasks/T-1/comments", '{"text": "a\\u0000b"}'),
    ):
        response = await on_postgres.http.post(path, content=body, headers=officer)
        assert response.status_code == 422 and errors_at(response) == [["body"]], (path, response.text[:200])
    kept = await on_postgres.http.post(
        "/v1/webhooks",
        content='{"url": "http://127.0.0.1:1/x", "secret": "a literal \\\\u0000 is text"}',
        headers=officer,
    )
    assert kept.status_code == 201, kept.text
