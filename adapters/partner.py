"""Partner customs administrations: how a signed message reaches one.

`PartnerAdministration.deliver(agency, jws)` hands one compact JWS to the partner and returns the partner's signed
acknowledgement (a JWS) when it sent one at once. Two implementations:

- `EmbeddedPartner` — the partner's inbox inside this same engine (its officers are principals here): the message
  is verified and stored as received by the same code an inbound HTTP request runs, and auto-acknowledged.
- `HttpPartner` — another engine's inbound endpoint, `POST {endpoint}/exchange/inbound` with the JWS as body
  (`Content-Type: application/jose`); a timeout on the call; a 4xx is the partner refusing (non-retryable
  `AgencyRejected`), 5xx and network errors are retryable. Temporal retries; this adapter never loops.

Which one speaks to an agency follows the registry: an agency with an `endpoint` is remote.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

import httpx
from temporalio.exceptions import ApplicationError

from adapters.errors import AGENCY_REJECTED, AGENCY_UNAVAILABLE, raise_for_agency_status
from domain.agencies import Agency

JOSE = "application/jose"
INBOUND_PATH = "/exchange/inbound"


class PartnerAdministration(Protocol):
    async def deliver(self, agency: Agency, jws: str) -> str | None:
        """Deliver one signed message; the partner's signed acknowledgement, if it answered with one."""
        ...


class InboundRefused(Exception):
    """The receiving side refused the message (bad or missing signature, not agreed, not addressed to it)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


Receiver = Callable[[str], Awaitable[str | None]]


class EmbeddedPartner:
    """A partner whose inbox is in this engine: `receive` is the engine's inbound handler."""

    def __init__(self, receive: Receiver) -> None:
        self._receive = receive

    async def deliver(self, agency: Agency, jws: str) -> str | None:
        try:
            return await self._receive(jws)
        except InboundRefused as exc:
            raise ApplicationError(
                f"{agency.id} refused: {exc.status} {exc.reason}",
                {"agency": agency.id, "status": exc.status, "reason": exc.reason},
                type=AGENCY_REJECTED,
                non_retryable=True,
            ) from exc


class HttpPartner:
    def __init__(self, timeout: float, client: httpx.AsyncClient | None = None) -> None:
        self._timeout = timeout
        self._client = client

    async def deliver(self, agency: Agency, jws: str) -> str | None:
        if not agency.endpoint:
            raise ApplicationError(f"{agency.id} has no endpoint", type=AGENCY_REJECTED, non_retryable=True)
        url = agency.endpoint.rstrip("/") + INBOUND_PATH
        try:
            if self._client is not None:
                response = await self._client.post(
                    url, content=jws, headers={"content-type": JOSE}, timeout=self._timeout
                )
            else:
                async with httpx.AsyncClient(timeout=self._timeout) as client:
                    response = await client.post(url, content=jws, headers={"content-type": JOSE})
        except httpx.HTTPError as exc:
            raise ApplicationError(f"{agency.id} unreachable: {exc!r}", type=AGENCY_UNAVAILABLE) from exc
        raise_for_agency_status(response, agency=agency.id)
        try:
            body = response.json()
        except ValueError:
            return None
        ack = body.get("acknowledgement") if isinstance(body, dict) else None
        return ack if isinstance(ack, str) else None
