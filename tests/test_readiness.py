"""Readiness needs a worker polling the task queue; anything unexpected is a JSON 500 that names no internals."""

from __future__ import annotations

import uuid

import httpx
import pytest

from api.main import create_app
from tests.conftest import Stack

pytestmark = pytest.mark.e2e


async def test_readyz_fails_while_no_worker_polls_the_task_queue(stack: Stack) -> None:
    ready = await stack.http.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "database": "ok", "temporal": "ok", "worker": "ok"}

    lonely = stack.settings.model_copy(update={"temporal_task_queue": f"nobody-{uuid.uuid4().hex[:8]}"})
    app = create_app(lonely, temporal=stack.client, db=stack.db)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        unready = await http.get("/readyz")
        assert unready.status_code == 503
        assert unready.json() == {
            "status": "not ready",
            "database": "ok",
            "temporal": "ok",
            "worker": "no worker polling",
        }
        assert (await http.get("/healthz")).status_code == 200  # liveness is not readiness


async def test_an_unexpected_error_is_a_json_500_without_internals(stack: Stack) -> None:
    app = create_app(stack.settings, temporal=stack.client, db=stack.db)

    @app.get("/boom")
    async def _boom() -> None:
        raise ValueError("secret connection string postgresql://admin:hunter2@db")

    @app.get("/temporal-gone")
    async def _gone() -> None:
        raise RuntimeError("Failed client connect: Server connection error: tcp connect error")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        boom = await http.get("/boom")
        assert boom.status_code == 500 and boom.headers["content-type"] == "application/json"
        assert boom.json() == {"detail": "internal error; it has been logged"}
        gone = await http.get("/temporal-gone")
        assert gone.status_code == 503 and gone.headers["Retry-After"] == "2"
        assert "tcp" not in gone.text and gone.json()["detail"].startswith("the clearance engine is not reachable")
