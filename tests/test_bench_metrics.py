"""The benchmark's reading of the dev server's and the worker's Prometheus metrics (bench/server_metrics.py,
bench/worker_metrics.py): what `bench.api_load` prints about matching and about the worker's workflow tasks."""

from __future__ import annotations

from bench import server_metrics, worker_metrics

_LABELS = 'namespace="default",service_name="temporal-core-sdk",task_queue="q",workflow_type="Clearance"'


def _worker_text(tasks: int, held_ms: float, screen: tuple[int, float], outcome: tuple[int, float]) -> str:
    lines = [
        "# HELP temporal_workflow_task_execution_latency Histogram of workflow task execution latencies",
        "# TYPE temporal_workflow_task_execution_latency histogram",
        f'temporal_workflow_task_execution_latency_bucket{{{_LABELS},le="100"}} 0',
        f"temporal_workflow_task_execution_latency_sum{{{_LABELS}}} {tasks * held_ms}",
        f"temporal_workflow_task_execution_latency_count{{{_LABELS}}} {tasks}",
        f"temporal_workflow_task_schedule_to_start_latency_sum{{{_LABELS}}} {tasks * 40.0}",
        f"temporal_workflow_task_schedule_to_start_latency_count{{{_LABELS}}} {tasks}",
    ]
    for kind, (count, mean) in (("screen_parties", screen), ("record_outcome", outcome)):
        labels = f'activity_type="{kind}",{_LABELS}'
        lines += [
            f"temporal_local_activity_succeed_endtoend_latency_sum{{{labels}}} {count * mean}",
            f"temporal_local_activity_succeed_endtoend_latency_count{{{labels}}} {count}",
        ]
    return "\n".join(lines) + "\n"


def test_the_workflow_task_held_and_its_local_activities_share_over_a_phase() -> None:
    before = server_metrics.parse(_worker_text(10, 500.0, (10, 20.0), (10, 30.0)), label="activity_type")
    after = server_metrics.parse(_worker_text(110, 800.0, (110, 20.0), (110, 30.0)), label="activity_type")

    found = worker_metrics.pipeline(before, after)

    assert found["workflow_tasks"] == 100
    assert found["held_ms"] == 830.0  # (110 * 800 - 10 * 500) / 100
    assert found["schedule_to_start_ms"] == 40.0
    assert found["local_activity_ms"] == {"record_outcome": 30.0, "screen_parties": 20.0}
    assert found["local_activities_ms"] == 50.0


def test_no_figures_when_a_scrape_failed_or_no_task_completed() -> None:
    same = server_metrics.parse(_worker_text(10, 500.0, (10, 20.0), (10, 30.0)), label="activity_type")
    assert worker_metrics.pipeline(None, same) == {}
    assert worker_metrics.pipeline(same, same) == {}


def test_the_servers_samples_sum_over_every_label_but_the_operation() -> None:
    text = (
        'poll_success{operation="TaskQueueMgr",task_queue="a"} 3\n'
        'poll_success{operation="TaskQueueMgr",task_queue="b"} 4\n'
        'asyncmatch_latency_bucket{operation="PollWorkflowTaskQueue",le="1"} 9\n'
        "process_cpu_seconds_total 1.5\n"
        'broken{operation="X"} NaN-ish\n'
    )
    found = server_metrics.parse(text)
    assert found["poll_success|TaskQueueMgr"] == 7
    assert found["process_cpu_seconds_total"] == 1.5
    assert not any("bucket" in key for key in found)
