"""Restricted-party screening: every imported list, fuzzy-matched, at the list revisions a clearance pinned."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import httpx
import structlog

from adapters.errors import raise_for_agency_status
from screening.composite import ListIndexes
from screening.index import Match
from screening.lists import ListEntry
from store import screening_lists
from store.db import Database

log = structlog.get_logger("screening")


class ListsBehind(Exception):
    """The store does not hold the list revisions asked for (another database, or a replica lagging)."""


@dataclass(frozen=True)
class Screened:
    matches: list[Match]
    list_revisions: dict[str, int]  # the revision of every list the name was screened against


class ScreeningService(Protocol):
    async def check(
        self,
        name: str,
        country: str | None,
        *,
        min_score: float,
        list_revisions: Mapping[str, int] | None = None,
        limit: int = 10,
    ) -> Screened: ...


@dataclass
class _Build:
    """One catch-up: reads the store's current revision of `lists` once it holds the swap lock."""

    lists: set[str]
    reading: bool = False
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class EmbeddedScreeningService:
    """Holds one index per list in the store and brings a list up to date when a screening needs a newer revision
    than it holds: only the lists that are behind are loaded, their index is built in a thread and swapped in at
    once; callers that need the same catch-up await the same build, and screenings whose revisions are already
    held go on with the current indexes meanwhile. No interval decides freshness: the revisions pinned at
    acceptance do."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._indexes = ListIndexes.empty()
        self._swap = asyncio.Lock()  # held by the one build that may replace self._indexes
        self._queued: _Build | None = None  # a build waiting for the lock: later callers join it
        self._background: set[asyncio.Task[None]] = set()

    @property
    def current(self) -> ListIndexes:
        return self._indexes

    async def indexes(self, wanted: Mapping[str, int] | None = None) -> ListIndexes:
        """The indexes with every list at least at its revision in `wanted` (None: the store's current ones)."""
        if wanted is None:
            async with self._db.session() as session:
                wanted = await screening_lists.revisions(session)
        joined_fresh = False
        while True:
            indexes = self._indexes
            held = indexes.revisions
            behind = {name for name, revision in wanted.items() if held.get(name, 0) < revision}
            if not behind:
                return indexes
            if joined_fresh:  # a build that read the store after we asked did not get there
                raise ListsBehind(", ".join(f"{n} {held.get(n, 0)} < {wanted[n]}" for n in sorted(behind)))
            build = self._queued
            if build is None or build.reading:
                build = self._queued = _Build(lists=set(behind))
                build.task = asyncio.create_task(self._catch_up(build))
                build.task.add_done_callback(_log_failure)
            else:
                build.lists |= behind
            assert build.task is not None
            await asyncio.shield(build.task)  # a caller's timeout never cancels a build others wait for
            joined_fresh = True

    async def _catch_up(self, build: _Build) -> None:
        async with self._swap:
            build.reading = True
            if self._queued is build:
                self._queued = None
            current = self._indexes
            loaded: list[tuple[str, int, list[str]]] = []
            async with self._db.session() as session:
                stored = await screening_lists.revisions(session)
                for name in sorted(build.lists):
                    if current.revisions.get(name, 0) < stored.get(name, 0):
                        revision, texts = await screening_lists.list_snapshot(session, name)
                        loaded.append((name, revision, texts))
            if loaded:
                self._indexes = await asyncio.to_thread(_with_lists, current, loaded)
                log.info("screening_index_updated", lists={n: r for n, r, _ in loaded})

    def install(self, name: str, revision: int, entries: list[ListEntry]) -> None:
        """Index a list this process just imported, from the entries in hand, in the background."""

        async def run() -> None:
            async with self._swap:
                current = self._indexes
                if current.revisions.get(name, 0) < revision:
                    self._indexes = await asyncio.to_thread(current.with_list, name, revision, entries)
                    log.info("screening_index_updated", lists={name: revision})

        task = asyncio.create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        task.add_done_callback(_log_failure)

    async def check(
        self,
        name: str,
        country: str | None,
        *,
        min_score: float,
        list_revisions: Mapping[str, int] | None = None,
        limit: int = 10,
    ) -> Screened:
        indexes = await self.indexes(list_revisions)
        return Screened(indexes.search(name, country, limit=limit, min_score=min_score), indexes.revisions)

    async def screen(self, name: str, country: str | None, *, min_score: float) -> list[Match]:
        return (await self.check(name, country, min_score=min_score)).matches


def _with_lists(indexes: ListIndexes, loaded: list[tuple[str, int, list[str]]]) -> ListIndexes:
    for name, revision, texts in loaded:
        indexes = indexes.with_list(name, revision, screening_lists.decode_entries(texts))
    return indexes


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("screening_index_update_failed", error=repr(task.exception()))


class HttpScreeningService:
    """Calls a screening service that speaks this service's `POST /v1/screening/check`."""

    def __init__(self, base_url: str, token: str, timeout: float, transport: httpx.AsyncBaseTransport | None = None):
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            headers={"Authorization": f"Bearer {token}"} if token else {},
        )

    async def check(
        self,
        name: str,
        country: str | None,
        *,
        min_score: float,
        list_revisions: Mapping[str, int] | None = None,
        limit: int = 10,
    ) -> Screened:
        body: dict[str, object] = {"name": name, "country": country, "min_score": min_score, "limit": limit}
        if list_revisions is not None:
            body["list_revisions"] = dict(list_revisions)
        response = await self._client.post("/v1/screening/check", json=body)
        raise_for_agency_status(response, agency="screening service")
        answer = response.json()
        return Screened([Match.model_validate(m) for m in answer["matches"]], dict(answer.get("list_revisions") or {}))

    async def screen(self, name: str, country: str | None, *, min_score: float) -> list[Match]:
        return (await self.check(name, country, min_score=min_score)).matches

    async def aclose(self) -> None:
        await self._client.aclose()
