"""The processes' garbage-collector policy (stack/gc_policy.py): a slow full collection freezes what survived it,
so the next full collections skip the long-lived heap; a thaw lets a cycle that died while frozen be freed."""

from __future__ import annotations

import gc
import time
import weakref
from collections.abc import Iterator

import pytest

from stack.gc_policy import FreezeSlowCollections


class Node:
    def __init__(self, payload: object) -> None:
        self.me = self  # a reference cycle, as the screening index has (its caches hold its own bound methods)
        self.payload = payload


@pytest.fixture
def policy() -> Iterator[FreezeSlowCollections]:
    gc.collect()
    installed = FreezeSlowCollections(slow_seconds=0.02, thaw_seconds=3600)
    gc.callbacks.append(installed)
    gc.disable()  # only the tests' own collections: their timing decides what is frozen
    try:
        yield installed
    finally:
        gc.enable()
        gc.callbacks.remove(installed)
        gc.unfreeze()
        gc.collect()


def full_collection_seconds() -> float:
    started = time.perf_counter()
    gc.collect()
    return time.perf_counter() - started


def test_a_slow_full_collection_freezes_its_survivors_and_later_ones_are_fast(policy: FreezeSlowCollections) -> None:
    heap = [{"name": [i, str(i)]} for i in range(1_000_000)]  # a long-lived structure of millions of objects
    slow = full_collection_seconds()
    assert slow >= policy.slow_seconds and policy.freezes >= 1
    assert gc.get_freeze_count() >= len(heap)
    freezes = policy.freezes
    assert full_collection_seconds() < slow / 3
    assert policy.freezes == freezes  # a fast collection freezes nothing more
    del heap


def test_a_cycle_that_died_while_frozen_is_freed_after_the_thaw(policy: FreezeSlowCollections) -> None:
    cycle = Node([{"name": [i]} for i in range(1_000_000)])
    alive = weakref.ref(cycle)
    gc.collect()
    assert policy.freezes >= 1
    del cycle
    gc.collect()
    assert alive() is not None  # frozen: the collector does not look at it
    policy.thaw_seconds = 0  # the interval is over: the next full collection gives the frozen objects back
    gc.collect()
    assert policy.thaws == 1
    gc.collect()
    assert alive() is None


def test_a_collection_slow_for_what_it_frees_freezes_nothing(policy: FreezeSlowCollections) -> None:
    """Under load a full collection frees the cycles of a few hundred finished workflows: slow, but what survives
    is the small heap of the workflows in flight. Freezing that would pin them (and, once they finish, their
    cycles) until the thaw."""
    policy.min_survivors = 10**12
    gc.collect()  # what the process holds already (the suite's modules and fixtures) counts as this test's heap
    policy.min_survivors = len(gc.get_objects(generation=2)) + 200_000
    frozen = gc.get_freeze_count()
    in_flight = [Node(i) for i in range(1000)]  # a small heap that survives
    garbage = [Node([{"name": [i]}]) for i in range(400_000)]  # cycles that die
    del garbage
    took = full_collection_seconds()
    assert took >= policy.slow_seconds, took
    assert policy.freezes == 0 and gc.get_freeze_count() == frozen
    del in_flight


def test_what_startup_built_is_frozen_at_once_and_again_after_each_thaw(policy: FreezeSlowCollections) -> None:
    """A process with only small lists never holds `min_survivors` objects, yet its modules and schemas cost every
    full collection a walk: `settle` freezes them before it serves, and the first slow collection after a thaw
    freezes them again, however small the heap."""
    policy.min_survivors = 10**12  # no heap this test builds would freeze by size
    startup = [Node([{"name": [i]}]) for i in range(300_000)]
    policy.settle()
    assert policy.freezes == 1 and gc.get_freeze_count() >= len(startup)
    assert full_collection_seconds() < policy.slow_seconds  # frozen: not walked
    policy.thaw_seconds = 0
    gc.collect()  # the interval is over: given back to the collector
    assert policy.thaws == 1 and gc.get_freeze_count() == 0
    policy.thaw_seconds = 3600
    assert full_collection_seconds() >= policy.slow_seconds  # walks everything once more, and freezes it
    assert policy.freezes == 2 and gc.get_freeze_count() >= len(startup)
    del startup
