"""Fixtures on the real components: the Temporal dev server and time-skipping test server from the PyPI
wheels, SQLite and PostgreSQL databases, the real FastAPI app over HTTP (ASGI) and a real worker."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from domain.agencies import load_registry
from domain.search import ALL as SEARCH_ATTRIBUTES
from settings import Settings
from stack.cli import LONG_POLL
from store import agencies, principals, sops
from store.db import Database
from store.seed import load_reference_data
from tests.support import PRINCIPALS, ROOT, TEMPORAL_BIN, TEST_CONVERTER, TEST_SERVER_BIN, sop_definition
from tests.webhook_receiver import receiver  # noqa: F401 (a fixture for every test module)
from tests.write_guard import guarded
from worker import build_worker

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")


# --- databases -------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def writes_go_through_the_writer() -> Iterator[None]:
    """Every write of application code goes through `Database.writer()` (tests/write_guard.py)."""
    with guarded() as violations:
        yield
    assert not violations, "writes through Database.session() instead of writer(): " + "; ".join(
        dict.fromkeys(violations)
    )


@pytest.fixture(scope="session")
def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    name = f"clearance_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _fresh_db(url: str) -> Database:
    db = Database(url)
    await db.init()
    await load_reference_data(db, ROOT / "reference")
    return db


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def store_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    """Store tests run against both databases."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('store') / 'store.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    db = await _fresh_db(url)
    yield db
    await db.dispose()


# --- Temporal --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL_BIN),
        data_converter=TEST_CONVERTER,
        search_attributes=list(SEARCH_ATTRIBUTES),
        dev_server_extra_args=[
            *("--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"),
            # as `make run`: idle workers re-poll every 10 s, so /readyz sees them within its window
            *("--dynamic-config-value", f'matching.longPollExpirationInterval="{LONG_POLL}"'),
        ],
    )
    yield env
    await env.shutdown()


@pytest.fixture
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEST_SERVER_BIN), data_converter=TEST_CONVERTER
    )
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={k.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for k in SEARCH_ATTRIBUTES},
        )
    )
    yield env
    await env.shutdown()


# --- the whole stack: app + worker on the dev server -------------------------------------------------------


@dataclass
class Stack:
    http: httpx.AsyncClient
    client: Client
    db: Database
    settings: Settings
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


async def make_stack(
    env: WorkflowEnvironment,
    db: Database,
    tmp: Path,
    *,
    sop_name: str,
    client: Client | None = None,
    **overrides: Any,
) -> AsyncIterator[Stack]:
    """`client`: another client of the same server (e.g. with its own data converter) for the app and worker;
    `overrides`: settings of this stack (e.g. `exit_follow_up_days`)."""
    client = client or env.client
    settings = Settings(
        environment="test",
        data_dir=tmp,
        temporal_task_queue=f"tq-{uuid.uuid4().hex[:8]}",
        sop_name=sop_name,
        log_format="console",
        update_timeout_seconds=15,
        webhook_allow_private=True,  # the agencies' endpoints of the tests listen on loopback
        **overrides,
    )
    tokens: dict[str, str] = {}
    async with db.session() as session:
        await agencies.load(session, load_registry(settings.reference_dir / "agencies.yaml"))
        for pid, (roles, agency, eori) in PRINCIPALS.items():
            await principals.upsert_principal(
                session, id=pid, name=pid.replace("_", " ").title(), agency=agency, roles=roles, eori=eori
            )
            tokens[pid] = await principals.issue_token(session, principal_id=pid)
    app = create_app(settings, temporal=client, db=db)
    worker = build_worker(client, settings, db)
    transport = httpx.ASGITransport(app=app)
    async with (
        worker,
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as http,
    ):
        yield Stack(http=http, client=client, db=db, settings=settings, tokens=tokens)


@pytest.fixture(scope="session")
async def stack(temporal_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """Worker and API on SQLite with a test SOP (`test-clearance`) whose random selection rate is zero."""
    db = await _fresh_db(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('e2e') / 'clearance.db'}")
    async with db.session() as session:
        await sops.publish(session, sop_definition(1), by="tests")
    async for s in make_stack(temporal_env, db, tmp_path_factory.mktemp("data"), sop_name="test-clearance"):
        yield s
    await db.dispose()
