"""Waiting for a clearance without polling: `Prefer: wait=N` (RFC 7240) on lodging, `?wait=N` on reading.

The worker writes the read model in another process, so an API process learns of a change only by reading the
database. One watcher per API process does that for all of its waiting requests, and only while one waits: every
~50 ms one indexed query for the clearances that became settled since its last look (`updated_at`), waking the
waiting requests' futures; once a second one primary-key query over everything still waited on, a safety net for a
row whose `updated_at` (the workflow's clock) lagged its commit by more than the look-back.

A clearance is *settled* when nothing more happens without a person: it has an outcome (`completed`,
`invalidated`) or awaits a decision (`awaiting_decision`: a task is open, e.g. a screening review or an approval).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import structlog

from store import clearances as clearance_store
from store.db import Database

log = structlog.get_logger("waiting")

SETTLED = ("awaiting_decision", "completed", "invalidated")
MAX_WAIT_SECONDS = 30.0
_WAIT_PREFERENCE = re.compile(r'^\s*wait\s*=\s*"?\s*(\d{1,9}(?:\.\d+)?)\s*"?\s*$', re.IGNORECASE)


def wait_preference(prefer_headers: Iterable[str]) -> float | None:
    """The `wait` preference of RFC 7240 §4.3 in seconds, capped at MAX_WAIT_SECONDS; None when absent or not a
    number (a preference the server does not understand is ignored, never an error)."""
    for header in prefer_headers:
        for preference in header.split(","):
            token = preference.split(";", 1)[0]  # parameters of a preference (";x=y") are not used for wait
            match = _WAIT_PREFERENCE.match(token)
            if match:
                return min(float(match.group(1)), MAX_WAIT_SECONDS)
    return None


def applied(seconds: float) -> str:
    """The Preference-Applied value for a wait of `seconds`."""
    return f"wait={seconds:g}"


class ClearanceWatcher:
    def __init__(
        self, db: Database, *, interval: float = 0.05, look_back: float = 2.0, sweep_every: float = 1.0
    ) -> None:
        self._db = db
        self._interval = interval
        self._look_back = timedelta(seconds=look_back)
        self._sweep_every = sweep_every
        self._waiters: dict[str, set[asyncio.Future[str]]] = {}
        self._task: asyncio.Task[None] | None = None
        self.queries = 0  # how many queries the watcher sent (tests and the benchmark read it)

    @property
    def waiting(self) -> int:
        return sum(len(f) for f in self._waiters.values())

    async def wait(self, mrn: str, timeout: float) -> str | None:
        """Wait up to `timeout` seconds for clearance `mrn` to be settled; returns its status then, else None.
        The caller has just read the row and found it unsettled: a change after that read is within the look-back
        of the watcher's next query."""
        if timeout <= 0:
            return None
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(mrn, set()).add(future)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._watch(), name="clearance-watcher")
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return None
        finally:
            futures = self._waiters.get(mrn)
            if futures is not None:
                futures.discard(future)
                if not futures:
                    del self._waiters[mrn]

    def _wake(self, mrn: str, status: str) -> None:
        for future in self._waiters.get(mrn, ()):
            if not future.done():
                future.set_result(status)

    async def _watch(self) -> None:
        since = datetime.now(UTC) - self._look_back
        swept = time.monotonic()
        while self._waiters:
            started = time.monotonic()
            look = datetime.now(UTC)
            try:
                for mrn, status in await clearance_store.settled_since(self._db, since, SETTLED):
                    self._wake(mrn, status)
                self.queries += 1
                if started - swept >= self._sweep_every and self._waiters:
                    swept = started
                    current = await clearance_store.statuses_of(self._db, list(self._waiters))
                    self.queries += 1
                    for mrn, status in current.items():
                        if status in SETTLED:
                            self._wake(mrn, status)
                since = look - self._look_back
            except Exception as exc:  # a database hiccup: waiters time out at worst and read the row themselves
                log.warning("watcher_query_failed", error=str(exc))
            await asyncio.sleep(max(0.0, self._interval - (time.monotonic() - started)))

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
