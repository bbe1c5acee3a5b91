"""Dependencies: the process's services, a database session, and the authenticated principal."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Annotated

import structlog
from fastapi import Depends, Header, Request
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from adapters.exchange_office import ExchangeOffice
from adapters.screening import EmbeddedScreeningService
from api.errors import ApiError
from api.waiting import ClearanceWatcher
from domain.clearance import Actor
from settings import Settings
from sop.model import PublishedSop
from store import principals, sops
from store.db import Database
from store.models import Principal, utcnow

# Who may do what is decided in one place, `domain.policy` (role groups and rules), asked by `api.service`.
# The one place a token's principal is cached: briefly, so a token revoked through another process (or a changed
# role) counts within this; the revoking process forgets the token at once, and an expiry is never outlived.
TOKEN_CACHE_SECONDS = 2.0
_TOKEN_CACHE_LIMIT = 10_000
TOUCH_SECONDS = 60.0  # a token's last use (a session's last sight) is written at most once a minute per process

log = structlog.get_logger("auth")


@dataclass(frozen=True)
class _Cached:
    until: float
    expires_at: datetime | None
    token_id: str
    principal: Principal


@dataclass
class Services:
    settings: Settings
    db: Database
    temporal: Client
    screening: EmbeddedScreeningService
    exchange: ExchangeOffice | None = None  # cross-border messages (api/service/exchange.py)
    _tokens: dict[str, _Cached] = field(default_factory=dict)
    _sops: dict[tuple[str, int], PublishedSop] = field(default_factory=dict)
    _touched: dict[str, float] = field(default_factory=dict)  # token id or session hash → when last written
    _pending: dict[str, set[str]] = field(default_factory=lambda: {"tokens": set(), "sessions": set()})
    _flushing: asyncio.Task[None] | None = None
    _resolving: dict[str, asyncio.Task[Principal | None]] = field(default_factory=dict)

    async def principal(self, token: str) -> Principal | None:
        now = time.monotonic()
        cached = self._tokens.get(token)
        if cached and cached.until > now and (cached.expires_at is None or cached.expires_at > utcnow()):
            self._note_use("tokens", cached.token_id)
            return cached.principal
        # One look-up per token at a time: when a busy client's entry expires, its requests in flight (50 of them
        # under load) wait for the one that reads the token rather than each reading it.
        resolving = self._resolving.get(token)
        if resolving is None:
            resolving = self._resolving[token] = asyncio.create_task(self._resolve(token))
            resolving.add_done_callback(lambda done: self._resolved(token, done))
        return await asyncio.shield(resolving)

    def _resolved(self, token: str, done: asyncio.Task[Principal | None]) -> None:
        self._resolving.pop(token, None)
        if not done.cancelled():
            done.exception()  # each waiter gets it raised; retrieved here for when none waits any more

    async def _resolve(self, token: str) -> Principal | None:
        now = time.monotonic()
        async with self.db.reader() as session:
            found = await principals.resolve(session, token)
        if found is None:
            self._tokens.pop(token, None)
            return None
        row, principal = found
        if len(self._tokens) >= _TOKEN_CACHE_LIMIT:
            self._tokens = {k: v for k, v in self._tokens.items() if v.until > now}
        self._tokens[token] = _Cached(now + TOKEN_CACHE_SECONDS, principals.aware(row.expires_at), row.id, principal)
        self._note_use("tokens", row.id)
        return principal

    def forget_tokens(self, token_ids: list[str]) -> None:
        """Revoked here: refused at once by this process (others within TOKEN_CACHE_SECONDS)."""
        gone = set(token_ids)
        self._tokens = {k: v for k, v in self._tokens.items() if v.token_id not in gone}

    async def console_principal(self, session_id: str) -> Principal | None:
        """The principal of a live console session; never cached, so signing out ends it at once everywhere."""
        async with self.db.reader() as session:
            found = await principals.session_principal(session, session_id)
        if found is None:
            return None
        self._note_use("sessions", found[0].id_hash)
        return found[1]

    def _note_use(self, kind: str, key: str) -> None:
        """Queue a last-use write (at most once a minute per key), done off the request path."""
        now = time.monotonic()
        if now - self._touched.get(key, -TOUCH_SECONDS) < TOUCH_SECONDS:
            return
        if len(self._touched) >= _TOKEN_CACHE_LIMIT:
            self._touched = {k: t for k, t in self._touched.items() if now - t < TOUCH_SECONDS}
        self._touched[key] = now
        self._pending[kind].add(key)
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # after the request that queued it has gone on
        while self._pending["tokens"] or self._pending["sessions"]:
            tokens, sessions = list(self._pending["tokens"]), list(self._pending["sessions"])
            self._pending = {"tokens": set(), "sessions": set()}
            try:
                async with self.db.writer() as session:
                    if tokens:
                        await principals.touch_tokens(session, tokens)
                    if sessions:
                        await principals.touch_sessions(session, sessions)
            except Exception as exc:  # a lost last-use stamp is not worth failing anything for
                log.warning("last_use_not_recorded", error=f"{type(exc).__name__}: {exc}")

    async def close(self) -> None:
        if self._flushing is not None:
            await asyncio.gather(self._flushing, return_exceptions=True)

    async def latest_sop(self, name: str) -> PublishedSop | None:
        """The latest published version of SOP `name`. Asks the catalogue only for the latest version number
        (so a version published through any process counts at once); a definition is read and validated once."""
        version = await sops.read_latest_version(self.db, name)
        if version is None:
            return None
        published = self._sops.get((name, version))
        if published is None:
            async with self.db.reader() as session:
                published = await sops.get(session, name, version)
            if published is not None:
                self._sops[(name, version)] = published
        return published

    @cached_property
    def watcher(self) -> ClearanceWatcher:
        """Wakes this process's requests that wait for a clearance to settle (one watcher per process)."""
        return ClearanceWatcher(self.db)


async def get_services(request: Request) -> Services:
    # async: FastAPI runs a plain `def` dependency in a worker thread, a thread round trip for every request
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_session(services: ServicesDep) -> AsyncIterator[AsyncSession]:
    async with services.db.session() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_writer(services: ServicesDep) -> AsyncIterator[AsyncSession]:
    """For a route that writes (or audits what it reads): the database's writer, so that on SQLite the write waits
    its turn for the file instead of failing on a snapshot another write has superseded."""
    async with services.db.writer() as session:
        yield session


WriterDep = Annotated[AsyncSession, Depends(get_writer)]


async def current_principal(services: ServicesDep, authorization: Annotated[str | None, Header()] = None) -> Principal:
    challenge = {"WWW-Authenticate": "Bearer"}
    if not authorization or not authorization.lower().startswith("bearer "):
        raise ApiError(401, "missing bearer token (Authorization: Bearer <token>)", headers=challenge)
    principal = await services.principal(authorization[7:].strip())
    if principal is None:
        raise ApiError(401, "unknown, expired or revoked token", headers=challenge)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def actor(principal: Principal) -> Actor:
    return Actor(
        id=principal.id, name=principal.name, agency=principal.agency, roles=list(principal.roles), eori=principal.eori
    )
