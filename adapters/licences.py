"""The export-licence registry of the export-control agency."""

from __future__ import annotations

from typing import Protocol

import httpx

from adapters.errors import raise_for_agency_status
from domain.licence import DepletionRequest, DepletionResult, RestoreRequest
from store import licences as licence_store
from store.db import Database


class LicenceRegistry(Protocol):
    async def deplete(self, request: DepletionRequest) -> DepletionResult:
        """Take the goods item's quantity and value from a covering licence, exactly once per (MRN, item)."""
        ...

    async def restore(self, request: RestoreRequest) -> int:
        """Give back every depletion of the MRN (compensation when a clearance ends without release)."""
        ...


class EmbeddedLicenceRegistry:
    """Reference implementation on this service's own database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def deplete(self, request: DepletionRequest) -> DepletionResult:
        async with self._db.writer() as session:
            return await licence_store.deplete(session, request)

    async def restore(self, request: RestoreRequest) -> int:
        async with self._db.writer() as session:
            return await licence_store.restore(session, mrn=request.mrn, reason=request.reason)


AGENCY = "licence registry"


class HttpLicenceRegistry:
    """Talks to a registry exposing this service's `/v1/licence-depletions` protocol (another instance, or an
    agency gateway that implements it). A 4xx is a non-retryable `AgencyRejected` (see `adapters.errors`)."""

    def __init__(self, base_url: str, token: str, timeout: float, transport: httpx.AsyncBaseTransport | None = None):
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            headers={"Authorization": f"Bearer {token}"} if token else {},
        )

    async def deplete(self, request: DepletionRequest) -> DepletionResult:
        response = await self._client.post("/v1/licence-depletions", json=request.model_dump(mode="json"))
        raise_for_agency_status(response, agency=AGENCY)
        return DepletionResult.model_validate(response.json())

    async def restore(self, request: RestoreRequest) -> int:
        response = await self._client.post("/v1/licence-depletions/restorations", json=request.model_dump(mode="json"))
        raise_for_agency_status(response, agency=AGENCY)
        return int(response.json()["restored"])

    async def aclose(self) -> None:
        await self._client.aclose()
