"""Tokens with a lifecycle on the real app and database: the admin API (list without the token, issue once,
revoke), 401 at once after revocation in the revoking process and within 2 s in another, expiry, last use recorded
off the request path, `clearance revoke-token`, console sessions that die on sign-out, and no demo principal in
production."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
import pytest

from api.main import create_app
from settings import ROOT, Settings
from store import principals
from store.db import Database
from store.seed import DEMO_PRINCIPALS, DemoRefused, remove_demo_principals, seed
from tests.conftest import Stack

pytestmark = pytest.mark.e2e
WHO_AM_I = "/v1/webhooks"  # any call a customs officer may make


@asynccontextmanager
async def other_process(stack: Stack, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Another API process on the same database (its own token cache)."""
    app = create_app(stack.settings.model_copy(update=changes), temporal=stack.client, db=stack.db)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def issue(stack: Stack, principal_id: str = "customs_officer", **body: Any) -> dict[str, Any]:
    created = await stack.http.post(
        "/v1/tokens", json={"principal_id": principal_id, **body}, headers=stack.auth("admin")
    )
    assert created.status_code == 201, created.text
    result: dict[str, Any] = created.json()
    return result


async def listed(stack: Stack, **params: str) -> list[dict[str, Any]]:
    response = await stack.http.get("/v1/tokens", params=params, headers=stack.auth("admin"))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_admin_issues_lists_and_revokes_and_a_revoked_token_is_refused_at_once(stack: Stack) -> None:
    created = await issue(stack, label="ci robot")
    token, token_id = created["token"], created["id"]
    assert token_id == principals.token_id(token) and created["state"] == "active" and created["label"] == "ci robot"
    lifetime = datetime.fromisoformat(created["expires_at"]) - datetime.fromisoformat(created["created_at"])
    assert lifetime.days == 90  # TOKEN_DAYS
    assert (await stack.http.get(WHO_AM_I, headers=bearer(token))).status_code == 200

    async with other_process(stack) as elsewhere:
        assert (await elsewhere.get(WHO_AM_I, headers=bearer(token))).status_code == 200  # now in its cache
        items = await listed(stack, principal_id="customs_officer")
        mine = next(i for i in items if i["id"] == token_id)
        assert set(mine) >= {"id", "principal", "label", "created_at", "expires_at", "last_used_at", "revoked_at"}
        page = (await stack.http.get("/v1/tokens", headers=stack.auth("admin"))).text
        assert token not in page and "token_hash" not in page and stack.tokens["supervisor"] not in page

        assert (await stack.http.delete(f"/v1/tokens/{token_id}", headers=stack.auth("admin"))).status_code == 204
        refused = await stack.http.get(WHO_AM_I, headers=bearer(token))
        assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
        deadline = time.monotonic() + 2.5  # the other process's cache holds it at most TOKEN_CACHE_SECONDS
        while (await elsewhere.get(WHO_AM_I, headers=bearer(token))).status_code != 401:
            assert time.monotonic() < deadline, "another process still accepted the revoked token after 2.5 s"
            await asyncio.sleep(0.1)

    again = await stack.http.delete(f"/v1/tokens/{token_id}", headers=stack.auth("admin"))
    assert again.status_code == 409
    revoked = next(i for i in await listed(stack, state="revoked") if i["id"] == token_id)
    assert revoked["revoked_at"] is not None and revoked["revoked_by"] == "admin"


async def test_refusals_change_nothing(stack: Stack) -> None:
    def lifecycle(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [(i["id"], i["expires_at"], i["revoked_at"]) for i in items]

    before = lifecycle(await listed(stack))
    officer = stack.auth("customs_officer")
    assert (await stack.http.get("/v1/tokens", headers=officer)).status_code == 403
    assert (await stack.http.post("/v1/tokens", json={"principal_id": "inspector"}, headers=officer)).status_code == 403
    admin = stack.auth("admin")
    foreign = await stack.http.post("/v1/tokens", json={"principal_id": "foreign_officer"}, headers=admin)
    assert foreign.status_code == 403
    unknown = await stack.http.post("/v1/tokens", json={"principal_id": "nobody"}, headers=admin)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["loc"] == ["body", "principal_id"]
    bad = await stack.http.post("/v1/tokens", json={"principal_id": "inspector", "expires_in_days": 0}, headers=admin)
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "expires_in_days"]
    assert (await stack.http.delete("/v1/tokens/0123456789abcdef", headers=admin)).status_code == 404
    foreign_id = principals.token_id(stack.tokens["foreign_officer"])
    assert (await stack.http.delete(f"/v1/tokens/{foreign_id}", headers=admin)).status_code == 404  # other agency
    assert lifecycle(await listed(stack)) == before
    assert (await stack.http.get(WHO_AM_I, headers=stack.auth("foreign_officer"))).status_code == 200


async def test_an_expired_token_is_refused_and_use_is_recorded(stack: Stack) -> None:
    async with stack.db.writer() as session:
        short, _ = await principals.issue(session, principal_id="inspector", label="short", days=1.5 / 86400)
    assert (await stack.http.get(WHO_AM_I, headers=bearer(short))).status_code == 200
    await asyncio.sleep(1.6)
    assert (await stack.http.get(WHO_AM_I, headers=bearer(short))).status_code == 401  # also from the cache

    created = await issue(stack, "inspector")
    assert created["last_used_at"] is None
    for _ in range(3):
        assert (await stack.http.get(WHO_AM_I, headers=bearer(created["token"]))).status_code == 200
    deadline = time.monotonic() + 5
    while not (used := next(i for i in await listed(stack) if i["id"] == created["id"]))["last_used_at"]:
        assert time.monotonic() < deadline, "last use never recorded"
        await asyncio.sleep(0.1)
    first = used["last_used_at"]
    await stack.http.get(WHO_AM_I, headers=bearer(created["token"]))
    await asyncio.sleep(0.3)
    assert next(i for i in await listed(stack) if i["id"] == created["id"])["last_used_at"] == first  # once a minute


def cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": stack.db.url, "DATA_DIR": str(stack.settings.data_dir), "LOG_LEVEL": "ERROR"}
    return subprocess.run(
        [sys.executable, "-m", "stack.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


async def test_revoke_token_command(stack: Stack) -> None:
    # A principal of its own: revoking every token of a shared test principal would sign it out of later tests.
    async with stack.db.session() as session:
        await principals.upsert_principal(
            session, id="cli-revoked", name="Cli Revoked", agency="DEMO-CUSTOMS", roles=["duty_chief"]
        )
    one = await issue(stack, "sop_author")
    while one["token"].startswith("-"):  # a prefix like "-x3Fq9" would read as an option (1 token in 64)
        one = await issue(stack, "sop_author")
    two = await issue(stack, "cli-revoked")
    three = await issue(stack, "cli-revoked")
    by_prefix = cli(stack, "revoke-token", one["token"][:6])
    assert by_prefix.returncode == 0, by_prefix.stdout + by_prefix.stderr
    assert one["id"] in by_prefix.stdout
    by_principal = cli(stack, "revoke-token", "--principal", "cli-revoked")
    assert by_principal.returncode == 0 and two["id"] in by_principal.stdout and three["id"] in by_principal.stdout
    for created in (one, two, three):
        assert (await stack.http.get(WHO_AM_I, headers=bearer(created["token"]))).status_code == 401
    assert cli(stack, "revoke-token", "zzzzzz-no-such").returncode == 1
    assert cli(stack, "revoke-token").returncode == 2


async def test_console_sessions_are_server_side_and_end_on_sign_out(stack: Stack) -> None:
    app = create_app(stack.settings, temporal=stack.client, db=stack.db)
    token = (await issue(stack, "supervisor"))["token"]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as browser:
            signed = await browser.post("/console/login", data={"token": token})
            assert signed.status_code == 303
            cookie = browser.cookies["console_session"]
            assert token not in cookie
            assert (await browser.get("/console")).status_code == 200
            assert (await browser.post("/console/logout")).status_code == 303
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as thief:
            thief.cookies.set("console_session", cookie, path="/console")  # the cookie kept from before sign-out
            dead = await thief.get("/console")
            assert dead.status_code == 303 and dead.headers["location"].startswith("/console/login")
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as browser:
            assert (await browser.post("/console/login", data={"token": token})).status_code == 303
            assert (await browser.get("/console")).status_code == 200
            async with stack.db.writer() as session:  # revoking the token ends its sessions too
                await principals.revoke(session, [principals.token_id(token)], by="tests")
            assert (await browser.get("/console")).status_code == 303


async def test_no_demo_principals_in_production(stack: Stack, tmp_path: Any) -> None:
    production = Settings(environment="production", database_url="postgresql://nowhere/none", data_dir=tmp_path)
    with pytest.raises(DemoRefused):
        await seed(production)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'prod.db'}")
    await db.init()
    try:
        pid, name, agency, eori = DEMO_PRINCIPALS["admin"]
        async with db.session() as session:
            await principals.upsert_principal(session, id=pid, name=name, agency=agency, roles=["admin"], eori=eori)
            await principals.issue_token(session, principal_id=pid)
        settings = stack.settings.model_copy(update={"environment": "production"})
        app = create_app(settings, temporal=stack.client, db=db)
        with pytest.raises(RuntimeError, match="demo principals exist"):
            async with app.router.lifespan_context(app):
                pass
        async with db.writer() as session:
            assert await remove_demo_principals(session) == [pid]
        async with app.router.lifespan_context(app):
            pass
    finally:
        await db.dispose()


async def test_requests_in_flight_with_one_token_read_it_once(store_db: Database, monkeypatch: Any) -> None:
    """When a busy client's cached token expires, its requests in flight wait for one look-up of it, not one each
    (50 declarant requests at once under load); an unknown token is refused to every one of them."""
    from api.deps import Services

    async with store_db.session() as session:
        await principals.upsert_principal(session, id="busy", name="Busy", agency="DEMO-TRADE", roles=["declarant"])
        token = await principals.issue_token(session, principal_id="busy")
    reads = 0
    resolve = principals.resolve

    async def counted(session: Any, presented: str) -> Any:
        nonlocal reads
        reads += 1
        await asyncio.sleep(0.05)  # the look-up takes a while: the others arrive meanwhile
        return await resolve(session, presented)

    monkeypatch.setattr(principals, "resolve", counted)
    services = Services(settings=Settings(), db=store_db, temporal=None, screening=None)  # type: ignore[arg-type]
    found = await asyncio.gather(*(services.principal(token) for _ in range(50)))
    assert reads == 1 and {p.id for p in found if p is not None} == {"busy"} and None not in found
    assert await asyncio.gather(*(services.principal("no-such-token") for _ in range(10))) == [None] * 10
    assert reads == 2
