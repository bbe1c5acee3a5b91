"""How the dev server matched workflow tasks to the worker's polls over a phase, from its own Prometheus metrics.

A task the server hands to a poll already waiting is *sync-matched*; one that finds no poll waiting goes to the
task queue's backlog in the server's database (a write, a read and a delete later) and waits there until a poll
takes it (*async-matched*). A green-lane clearance and a floor workflow each have one workflow task, so the share
matched at once and the backlog's wait are what polling adds to their latency and to the server's writes.

    before = scrape(port); ...phase...; matching(before, scrape(port))
"""

from __future__ import annotations

import re
from collections import defaultdict

import httpx

_SAMPLE = re.compile(r"^(\w+)(\{[^}]*\})?\s+(\S+)$")


def parse(text: str, label: str = "operation") -> defaultdict[str, float]:
    """Prometheus samples (buckets left out) summed over every label but `label` (`name|value`, or `name` when a
    sample has no such label)."""
    keep = re.compile(label + r'="(\w+)"')
    found: defaultdict[str, float] = defaultdict(float)
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match is None or match.group(1).endswith("_bucket"):
            continue
        kept = keep.search(match.group(2) or "")
        try:
            found[match.group(1) + ("|" + kept.group(1) if kept else "")] += float(match.group(3))
        except ValueError:  # NaN and the like
            continue
    return found


def scrape(port: int, label: str = "operation") -> defaultdict[str, float] | None:
    """The metrics served on `port`, summed over labels but `label` (the server's: the operation); None when they
    do not answer (a diagnostic: the benchmark goes on without it)."""
    try:
        return parse(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text, label)
    except httpx.HTTPError:
        return None


def matching(before: defaultdict[str, float] | None, after: defaultdict[str, float] | None) -> dict[str, float]:
    """Workflow tasks polled in between, the share sync-matched, how many waited in the backlog and how long
    (empty when either scrape failed)."""
    if before is None or after is None:
        return {}

    def grew(key: str) -> float:
        return after[key] - before[key]

    polled = grew("poll_success|TaskQueueMgr")
    backlog = grew("asyncmatch_latency_count|PollWorkflowTaskQueue")
    waited = grew("asyncmatch_latency_sum|PollWorkflowTaskQueue")
    return {
        "workflow_tasks": polled,
        "sync_matched_pct": round(100 * grew("poll_success_sync|TaskQueueMgr") / polled, 1) if polled else 0.0,
        "backlog_tasks": backlog,
        "backlog_wait_s": round(waited / backlog, 3) if backlog else 0.0,
        "backlog_writes": grew("persistence_requests|CreateTasks"),
    }
