"""Dependencies: the process's services, a database session, and the authenticated principal."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from adapters.screening import EmbeddedScreeningService
from api.errors import ApiError
from api.waiting import ClearanceWatcher
from domain.clearance import Actor
from settings import Settings
from sop.model import PublishedSop
from store import principals, sops
from store.db import Database
from store.models import Principal

# Who may do what is decided in one place, `domain.policy` (role groups and rules), asked by `api.service`.
# The one place a token's principal is cached: briefly, so a revoked token or a changed role counts within this.
TOKEN_CACHE_SECONDS = 2.0
_TOKEN_CACHE_LIMIT = 10_000


@dataclass
class Services:
    settings: Settings
    db: Database
    temporal: Client
    screening: EmbeddedScreeningService
    _tokens: dict[str, tuple[float, Principal]] = field(default_factory=dict)
    _sops: dict[tuple[str, int], PublishedSop] = field(default_factory=dict)

    async def principal(self, token: str) -> Principal | None:
        now = time.monotonic()
        cached = self._tokens.get(token)
        if cached and cached[0] > now:
            return cached[1]
        async with self.db.session() as session:
            principal = await principals.principal_for_token(session, token)
        if principal is not None:
            if len(self._tokens) >= _TOKEN_CACHE_LIMIT:
                self._tokens = {k: v for k, v in self._tokens.items() if v[0] > now}
            self._tokens[token] = (now + TOKEN_CACHE_SECONDS, principal)
        return principal

    async def latest_sop(self, name: str) -> PublishedSop | None:
        """The latest published version of SOP `name`. Asks the catalogue only for the latest version number
        (so a version published through any process counts at once); a definition is read and validated once."""
        async with self.db.session() as session:
            version = await sops.latest_version(session, name)
            if version is None:
                return None
            published = self._sops.get((name, version))
            if published is None:
                published = await sops.get(session, name, version)
                if published is not None:
                    self._sops[(name, version)] = published
        return published

    @cached_property
    def watcher(self) -> ClearanceWatcher:
        """Wakes this process's requests that wait for a clearance to settle (one watcher per process)."""
        return ClearanceWatcher(self.db)


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_session(services: ServicesDep) -> AsyncIterator[AsyncSession]:
    async with services.db.session() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def current_principal(services: ServicesDep, authorization: Annotated[str | None, Header()] = None) -> Principal:
    challenge = {"WWW-Authenticate": "Bearer"}
    if not authorization or not authorization.lower().startswith("bearer "):
        raise ApiError(401, "missing bearer token (Authorization: Bearer <token>)", headers=challenge)
    principal = await services.principal(authorization[7:].strip())
    if principal is None:
        raise ApiError(401, "unknown or revoked token", headers=challenge)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def actor(principal: Principal) -> Actor:
    return Actor(
        id=principal.id, name=principal.name, agency=principal.agency, roles=list(principal.roles), eori=principal.eori
    )
