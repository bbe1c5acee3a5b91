"""Prometheus metrics of the API process (the worker exports Temporal's own on WORKER_METRICS_PORT)."""

from __future__ import annotations

import time

import structlog
from fastapi import Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter("clearance_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "clearance_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DECLARATIONS = Counter("clearance_declarations_total", "Declarations lodged", ["result"])
TASK_ACTIONS = Counter("clearance_task_actions_total", "Task claims and completions", ["action", "result"])


class RequestMetrics:
    """Per request: the log context (method, path) and the request count and latency by route.

    Plain ASGI: as `@app.middleware("http")` functions (Starlette's BaseHTTPMiddleware) these two ran every request
    through an extra task and a pair of memory streams each, a visible share of the API's CPU per clearance."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(method=scope["method"], path=scope["path"])
        started = time.perf_counter()
        status = 500  # no answer started: what the server's error handler sends

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            REQUESTS.labels(scope["method"], path, str(status)).inc()
            LATENCY.labels(scope["method"], path).observe(time.perf_counter() - started)


def exposition() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
