"""Restricted-party screening: every imported list, fuzzy-matched, at the list revisions a clearance pinned."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import httpx
import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from adapters.errors import raise_for_agency_status
from screening.composite import ListIndex, ListIndexes
from screening.entries import IndexedEntry
from screening.index import Hit, Match, NameIndex
from screening.layered import LayeredIndex, patched
from screening.lists import ListEntry
from screening.matches import matches_of
from store import screening_lists
from store.db import Database

log = structlog.get_logger("screening")

CATCH_UPS = 3  # searches again after an entry that matched changed under the index, before giving up


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
    """Holds one compact index per list in the store and brings a list up to date when a screening needs a newer
    revision than it holds: only the lists that are behind are read, and only their entries added or changed
    since (a few entries patch the index, `screening.layered`; many rebuild it), in a thread, swapped in at once;
    callers that need the same catch-up await the same build, and screenings whose revisions are already held go
    on with the current indexes meanwhile. No interval decides freshness: the revisions pinned at acceptance do.

    The index keeps no entry records: the few entries that match are read from the store, as they were at the
    index's revision; one changed or removed since makes the screening catch up and search again."""

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
            async with self._db.reader() as session:
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
            loaded: list[tuple[str, int, ListIndex]] = []
            async with self._db.session() as session:
                stored = await screening_lists.revisions(session)
                for name in sorted(build.lists):
                    held = current.revisions.get(name, 0)
                    if held < stored.get(name, 0):
                        loaded.append((name, *await self._load(session, name, held, current.indexes.get(name))))
            indexes = current
            for name, revision, index in loaded:
                indexes = indexes.with_index(name, revision, index)
            if loaded:
                self._indexes = indexes
                log.info("screening_index_updated", lists={n: r for n, r, _ in loaded})

    async def _load(
        self, session: AsyncSession, name: str, held: int, index: ListIndex | None
    ) -> tuple[int, ListIndex]:
        """The list's revision and its index: the held one patched with the entries changed since, or a new one."""
        if held and isinstance(index, NameIndex | LayeredIndex):
            revision, changed = await screening_lists.index_records(session, name, after=held)
            present = await screening_lists.entry_ids(session, name)
            update = await asyncio.to_thread(patched, index, changed, present)
            if update is not None:
                return revision, update
        revision, records = await screening_lists.index_records(session, name)
        return revision, await asyncio.to_thread(NameIndex, records)

    def install(self, name: str, revision: int, entries: list[ListEntry]) -> None:
        """Index a list this process just imported, from the entries in hand, in the background."""
        records = [IndexedEntry.of(e) for e in entries]  # the index keeps none of the records

        async def run() -> None:
            async with self._swap:
                current = self._indexes
                if current.revisions.get(name, 0) < revision:
                    index = await asyncio.to_thread(NameIndex, records)
                    self._indexes = current.with_index(name, revision, index)
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
        wanted = list_revisions
        for _ in range(CATCH_UPS):
            indexes = await self.indexes(wanted)
            hits = indexes.hits(name, country, limit=limit, min_score=min_score)
            if not hits:
                return Screened([], indexes.revisions)
            entries, stale = await self._records(hits, indexes.revisions)
            if not stale:
                return Screened(matches_of(name, hits, entries), indexes.revisions)
            # an entry that matched changed since the index was built: catch that list up and search again
            wanted = {**(wanted or indexes.revisions), **{n: indexes.revisions.get(n, 0) + 1 for n in stale}}
        raise ListsBehind(f"lists kept changing under the screening of {name!r}")

    async def _records(
        self, hits: list[Hit], revisions: Mapping[str, int]
    ) -> tuple[dict[tuple[str, str], ListEntry], set[str]]:
        """The hit entries' records as of the index's revision of their list, and the lists whose hit entry is not
        (changed or removed since)."""
        by_list: dict[str, set[str]] = {}
        for hit in hits:
            by_list.setdefault(hit.list, set()).add(hit.entry_id)
        entries: dict[tuple[str, str], ListEntry] = {}
        stale: set[str] = set()
        async with self._db.reader() as session:
            for list_name, ids in by_list.items():
                found = await screening_lists.entries_as_of(
                    session, list_name, ids, revision=revisions.get(list_name, 0)
                )
                entries.update(((list_name, i), e) for i, e in found.items())
                if len(found) < len(ids):
                    stale.add(list_name)
        return entries, stale

    async def screen(self, name: str, country: str | None, *, min_score: float) -> list[Match]:
        return (await self.check(name, country, min_score=min_score)).matches


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
