"""Prometheus metrics of the API process (the worker exports Temporal's own on WORKER_METRICS_PORT)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

REQUESTS = Counter("clearance_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "clearance_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DECLARATIONS = Counter("clearance_declarations_total", "Declarations lodged", ["result"])
TASK_ACTIONS = Counter("clearance_task_actions_total", "Task claims and completions", ["action", "result"])


async def middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    started = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    path = getattr(route, "path", "unmatched")
    REQUESTS.labels(request.method, path, str(response.status_code)).inc()
    LATENCY.labels(request.method, path).observe(time.perf_counter() - started)
    return response


def exposition() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
