"""Garbage-collector policy of the long-running processes (worker, API): a slow full collection's survivors are
frozen (`gc.freeze()`), so later full collections skip them.

Why: both processes hold a screening index of ~100,000 names (millions of long-lived objects). CPython's full
(generation 2) collection walks every tracked object; with the index loaded one took 3.6 s of the worker's CPU,
stalled its event loop for as long (every clearance in flight waited), and full collections came back every few
hundred clearances: ~17 % of the worker's CPU per green-lane clearance, ~10 % of the API's (bench/README.md).

Only a collection slower than `slow_seconds` that leaves a large heap behind (`min_survivors` objects in the oldest
generation) freezes, and what it froze has just survived a full collection, so it is long-lived by then; after it,
full collections walk only what became long-lived since and stay fast, so the next freeze comes only when a large
new structure (the index of a newly imported list) has settled. A collection that is slow for what it frees is
not one: under load every full collection (one every few seconds) frees the reference cycles of a few hundred
finished workflows, tens of thousands of objects, in 30-60 ms. Freezing after those pinned the workflows still in
flight each time: their cycles, once finished, waited frozen for the thaw, and the worker grew by about 10 KB per
clearance (300 -> 400 MB over 10,000 clearances).
What a process builds before it serves is frozen at once (`settle`), and what a thaw gave back is frozen again by
the next slow full collection, whatever the heap's size. Frozen objects are still freed by reference counting when
dropped, but a reference cycle among them is never collected while frozen, and the index is one (its caches hold
its own bound methods): the index a new import replaces would stay. So every `thaw_seconds` (default 10 minutes)
the frozen objects are given back to the collector (`gc.unfreeze()`): the next full collection walks them all once
(the one slow collection of the interval, instead of one every few hundred clearances), frees the cycles that died,
and freezes the survivors again.
"""

from __future__ import annotations

import gc
import time
from typing import Any

import structlog

log = structlog.get_logger("gc")

SLOW_FULL_COLLECTION_SECONDS = 0.05
MIN_SURVIVORS = 300_000  # a settled index is millions of objects; a worker's in-flight state tens of thousands
THAW_SECONDS = 600.0


class FreezeSlowCollections:
    def __init__(
        self,
        slow_seconds: float = SLOW_FULL_COLLECTION_SECONDS,
        thaw_seconds: float = THAW_SECONDS,
        min_survivors: int = MIN_SURVIVORS,
    ) -> None:
        self.slow_seconds = slow_seconds
        self.thaw_seconds = thaw_seconds
        self.min_survivors = min_survivors
        self.freezes = 0
        self.thaws = 0
        self._started = 0.0
        self._frozen_at: float | None = None
        self._refreeze = False  # the first slow full collection after a thaw freezes, however small the heap

    def settle(self) -> None:
        """Freeze what the process built before serving (modules, pydantic schemas, the SDK, reference data):
        ~200,000 objects that every full collection would otherwise walk again, 0.1-0.2 s each time on a 2-core
        machine with no list larger than the demo's (under the `min_survivors` a later freeze needs)."""
        gc.collect()
        gc.freeze()
        self.freezes += 1
        self._frozen_at = time.perf_counter()
        log.info("gc_startup_frozen", frozen=gc.get_freeze_count())

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
            return
        now = time.perf_counter()
        took = now - self._started
        if took >= self.slow_seconds and (self._refreeze or len(gc.get_objects(generation=2)) >= self.min_survivors):
            gc.freeze()
            self.freezes += 1
            self._frozen_at, self._refreeze = now, False
            log.info("gc_survivors_frozen", full_collection_s=round(took, 3), frozen=gc.get_freeze_count())
        elif self._frozen_at is not None and now - self._frozen_at >= self.thaw_seconds:
            # the next full collection looks at everything once more: cycles that died while frozen are freed
            gc.unfreeze()
            self.thaws += 1
            self._frozen_at, self._refreeze = None, True


def install(
    slow_seconds: float = SLOW_FULL_COLLECTION_SECONDS,
    thaw_seconds: float = THAW_SECONDS,
    min_survivors: int = MIN_SURVIVORS,
) -> FreezeSlowCollections:
    """Install the policy in this process (once; a second call returns the installed one)."""
    for callback in gc.callbacks:
        if isinstance(callback, FreezeSlowCollections):
            return callback
    policy = FreezeSlowCollections(slow_seconds, thaw_seconds, min_survivors)
    gc.callbacks.append(policy)
    return policy
