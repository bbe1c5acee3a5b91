"""Where a clearance's workflow task spends its time in the worker over a phase, from the SDK core's own Prometheus
metrics (the worker serves them on WORKER_METRICS_PORT).

A green-lane clearance has one workflow task. The worker holds it from the poll that brought it to the completion
that ends the workflow: three activations of the workflow code and, between them, the two local activities
(screening, the outcome's transaction). Core measures the whole (`workflow_task_execution_latency`) and each local
activity from its scheduling to its result (`local_activity_succeed_endtoend_latency`, its wait for a slot and for
the SDK's activity poll included). What the local activities do not account for is the activations' own work and
their wait for the Python SDK's one activation poll loop, which takes one activation at a time off core and whose
every round trip waits for the worker's event loop (bench/README.md, session 17).

    before = scrape(port); ...phase...; pipeline(before, scrape(port))
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from bench import server_metrics


def scrape(port: int) -> defaultdict[str, float] | None:
    """The worker's metric samples summed over labels but the activity type (`name|activity`); None when they do
    not answer."""
    return server_metrics.scrape(port, label="activity_type")


def pipeline(before: defaultdict[str, float] | None, after: defaultdict[str, float] | None) -> dict[str, Any]:
    """Mean ms, per workflow task completed in between: held by the worker, spent in local activities (and in
    `local_activity_ms` each kind's own mean), and the task's wait from its scheduling to the worker's poll (empty
    when a scrape failed or no task completed)."""
    if before is None or after is None:
        return {}

    def grew(key: str) -> float:
        return after[key] - before[key]

    def mean(name: str, kind: str = "") -> float:
        count = grew(f"{name}_count{kind}")
        return round(grew(f"{name}_sum{kind}") / count, 1) if count else 0.0

    tasks = grew("temporal_workflow_task_execution_latency_count")
    if not tasks:
        return {}
    out: dict[str, Any] = {
        "workflow_tasks": tasks,
        "held_ms": mean("temporal_workflow_task_execution_latency"),
        "schedule_to_start_ms": mean("temporal_workflow_task_schedule_to_start_latency"),
    }
    local = "temporal_local_activity_succeed_endtoend_latency"
    kinds = sorted(k.partition("|")[2] for k in after if k.startswith(f"{local}_sum|"))
    out["local_activities_ms"] = round(sum(grew(f"{local}_sum|{kind}") for kind in kinds) / tasks, 1)
    out["local_activity_ms"] = {kind: mean(local, f"|{kind}") for kind in kinds}
    return out
