"""Restricted-party screening: every imported list, fuzzy-matched."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

import httpx

from screening.index import Match, ScreeningIndex
from store import screening_lists
from store.db import Database


class ScreeningService(Protocol):
    async def screen(self, name: str, country: str | None, *, min_score: float) -> list[Match]: ...


class EmbeddedScreeningService:
    """Keeps an in-memory index of every list in the store and rebuilds it when any list's revision moves.

    The revision is looked up at most every `recheck` seconds (a list imported through another process is used
    from then on); `invalidate()` makes the next screening look at once (the importing process calls it)."""

    def __init__(self, db: Database, *, recheck: float = 2.0) -> None:
        self._db = db
        self._recheck = recheck
        self._index: ScreeningIndex | None = None
        self._revision: tuple[int, int] | None = None
        self._checked_at = 0.0
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._checked_at = 0.0

    async def index(self) -> ScreeningIndex:
        if self._index is not None and time.monotonic() - self._checked_at < self._recheck:
            return self._index
        async with self._lock:
            async with self._db.session() as session:
                current = await screening_lists.revision(session)
                if self._index is None or current != self._revision:
                    entries = await screening_lists.all_entries(session)
                    self._index = await asyncio.to_thread(ScreeningIndex, entries)
                    self._revision = current
            self._checked_at = time.monotonic()
        assert self._index is not None
        return self._index

    async def screen(self, name: str, country: str | None, *, min_score: float) -> list[Match]:
        index = await self.index()
        return index.search(name, country, min_score=min_score)


class HttpScreeningService:
    """Calls a screening service that speaks this service's `POST /v1/screening/check`."""

    def __init__(self, base_url: str, token: str, timeout: float, transport: httpx.AsyncBaseTransport | None = None):
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            headers={"Authorization": f"Bearer {token}"} if token else {},
        )

    async def screen(self, name: str, country: str | None, *, min_score: float) -> list[Match]:
        response = await self._client.post(
            "/v1/screening/check", json={"name": name, "country": country, "min_score": min_score}
        )
        response.raise_for_status()
        return [Match.model_validate(m) for m in response.json()["matches"]]

    async def aclose(self) -> None:
        await self._client.aclose()
