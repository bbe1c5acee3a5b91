"""A declarant system's HTTP client for the load benchmarks: aiohttp (HTTP parsing in C), one session and its own
connections per declarant, as 50 separate systems would have.

The load generator runs on the two cores it measures. One httpx client shared by 50 declarants spent 17.9 ms of
CPU per polled clearance (httpcore scans its whole pool for every request), as much as the Temporal dev server; an
httpx client per declarant 8.2 ms; this 3.4 ms. What it costs is measured and printed (`clients` in phase g.)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

ERRORS = (aiohttp.ClientError, asyncio.TimeoutError)  # what a request can fail with, besides an HTTP status


class Answer:
    """An HTTP answer, read whole: its status and its JSON body."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status_code = status
        self._body = body

    def json(self) -> Any:
        return json.loads(self._body)


class DeclarantClient:
    """`post` and `get` against the API at `base_url` with an `Authorization` header, on at most two connections."""

    def __init__(self, base_url: str, authorization: str, timeout: float = 60.0) -> None:
        self._base = base_url.rstrip("/")
        self._session = aiohttp.ClientSession(
            headers={"Authorization": authorization},
            connector=aiohttp.TCPConnector(limit=2),
            timeout=aiohttp.ClientTimeout(total=timeout),
        )

    async def __aenter__(self) -> DeclarantClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self._session.close()

    async def post(self, path: str, *, json: Any, headers: dict[str, str] | None = None) -> Answer:
        async with self._session.post(self._base + path, json=json, headers=headers) as answer:
            return Answer(answer.status, await answer.read())

    async def get(self, path: str, *, params: dict[str, Any] | None = None) -> Answer:
        async with self._session.get(self._base + path, params=params) as answer:
            return Answer(answer.status, await answer.read())
