"""The FastAPI application: mounts the routers; connects to the database and Temporal on start-up.

python -m api.main                              # settings from the environment (see README)
uvicorn --factory api.main:create_app           # the same, under your own uvicorn options
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import FrameType

import structlog
import uvicorn
from fastapi import Depends, FastAPI
from fastapi.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.client import Client

from adapters.exchange_office import ExchangeOffice
from adapters.screening import EmbeddedScreeningService
from api import console, errors, metrics, openapi
from api.content_type import require_json_body
from api.deps import Services
from api.errors import service_unavailable_response
from api.input_guard import InputGuard
from api.limits import BodySizeLimit
from api.responses import JSONResponse
from api.routes import (
    agencies,
    audit,
    clearances,
    codec,
    declarations,
    exchange,
    false_positives,
    licences,
    ops,
    reports,
    representations,
    screening,
    sops,
    tasks,
    tokens,
    webhooks,
)
from api.service.webhooks import box_of
from settings import Settings, get_settings
from stack import gc_policy
from stack.logging import configure as configure_logging
from stack.temporal import connect
from store import webhooks as webhook_store
from store.db import Database
from store.seed import demo_principals_present

log = structlog.get_logger("api")


async def prepare_database(settings: Settings, db: Database) -> None:
    """Before serving: in production, refuse to run while demo principals exist; seal webhook secrets stored in
    plain text by an older release."""
    async with db.writer() as session:
        if settings.environment == "production":
            found = await demo_principals_present(session)
            if found:
                raise RuntimeError(
                    f"demo principals exist in this database ({', '.join(found)}); with ENVIRONMENT=production the API"
                    " refuses to run until `clearance remove-demo-principals` has removed them and their tokens"
                )
        sealed = await webhook_store.seal_plaintext_secrets(session, box_of(settings))
    if sealed:
        log.info("webhook_secrets_sealed", subscriptions=sealed)


DESCRIPTION = """Export clearance as durable workflows: lodge a declaration, follow its clearance through
screening, licence check, risk lane, joint inspection and approval, and complete the human tasks.
Authenticate every `/v1` call with `Authorization: Bearer <token>`."""


def create_app(
    settings: Settings | None = None, *, temporal: Client | None = None, db: Database | None = None
) -> FastAPI:
    """Build the app; tests pass their own Temporal client and database, `make run` lets it connect."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_db = db is None
        database = db or Database(settings.resolved_database_url)
        if own_db:
            await database.init()
        await prepare_database(settings, database)
        client = temporal or await connect(settings, fail_fast=True)
        exchange = ExchangeOffice(settings=settings, db=database)
        await exchange.keys()  # this administration's signing key (and its embedded partners') in the registry
        app.state.services = services = Services(
            settings=settings,
            db=database,
            temporal=client,
            screening=EmbeddedScreeningService(database),
            exchange=exchange,
        )
        log.info("api_started", temporal=settings.temporal_address)
        yield
        await services.close()
        if own_db:
            await database.dispose()

    app = FastAPI(
        title="Clearance engine",
        version="1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(require_json_body)],  # 415 for a JSON body without a JSON Content-Type
        default_response_class=JSONResponse,  # encoded by pydantic-core (api/responses.py)
    )
    errors.install(app)
    app.add_middleware(metrics.RequestMetrics)  # innermost: the route is known when the answer is counted

    for module in (
        declarations,
        clearances,
        tasks,
        licences,
        representations,
        screening,
        false_positives,
        sops,
        reports,
        webhooks,
        tokens,
        ops,
        codec,
        agencies,
        exchange,
        console,
    ):
        app.include_router(module.router)
    app.include_router(audit.router)

    openapi.install(app)  # the document as the API answers (api/openapi.py)

    @app.get("/", include_in_schema=False)
    async def _root() -> RedirectResponse:
        return RedirectResponse("/docs")

    app.add_middleware(InputGuard)  # inside the size limit: only bounded bodies are buffered
    app.add_middleware(
        BodySizeLimit, max_bytes=settings.max_body_bytes, max_list_import_bytes=settings.max_list_import_bytes
    )
    app.add_middleware(codec.CodecCors, origins=settings.codec_origins)
    app.add_middleware(Draining)
    return app


class Draining:
    """Shutdown without a 500: once the server is stopping (SIGTERM), a new request gets 503 + Retry-After, and a
    request still running when uvicorn's grace period ends is answered 503 too (it may have taken effect; a retry
    is safe) instead of uvicorn's plain-text 500. `draining` is set by `DrainingServer`."""

    draining = False

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if Draining.draining:
            await service_unavailable_response("the API is shutting down; retry shortly")(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except asyncio.CancelledError:
            if not started:
                response = service_unavailable_response("the API stopped before the request finished; retry it")
                await response(scope, receive, send)
            raise


KEEP_ALIVE_SECONDS = 75


class DrainingServer(uvicorn.Server):
    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        Draining.draining = True
        super().handle_exit(sig, frame)


def serve() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    freezer = gc_policy.install()  # full collections skip the screening index once it has settled
    config = uvicorn.Config(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        access_log=False,
        # In-flight requests finish: an officer's action may wait for its workflow up to the update timeout.
        timeout_graceful_shutdown=int(settings.update_timeout_seconds) + 5,
        # An idle connection is closed well after a client's pool gives it up (httpx: 5 s, uvicorn's default too):
        # with both at 5 s a client reused a connection the API was closing that instant (a ReadError under load).
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    freezer.settle()  # and the modules, schemas and app built so far (stack/gc_policy.py)
    DrainingServer(config).run()


if __name__ == "__main__":
    serve()
