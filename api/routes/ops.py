"""Liveness, readiness and metrics."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Response
from sqlalchemy import text
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

from api import metrics
from api.deps import Services, ServicesDep
from api.responses import JSONResponse

router = APIRouter(tags=["operations"])
CACHE_SECONDS = 1.0
CHECK_TIMEOUT = timedelta(seconds=1.5)
_cache: dict[int, tuple[float, int, dict[str, str]]] = {}


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database and Temporal are reachable and a worker polls the task queue",
    description="503 while any check fails: `worker` is `no worker polling` when no worker has polled the "
    "clearance task queue within `WORKER_POLL_WINDOW_SECONDS`. Cached for a second.",
)
async def readyz(services: ServicesDep) -> JSONResponse:
    cached = _cache.get(id(services))
    if cached is None or cached[0] < time.monotonic():
        checks = await _checks(services)
        status = 200 if all(v == "ok" for v in checks.values()) else 503
        cached = (time.monotonic() + CACHE_SECONDS, status, checks)
        _cache[id(services)] = cached
    _, status, checks = cached
    return JSONResponse(status_code=status, content={"status": "ready" if status == 200 else "not ready", **checks})


async def _checks(services: Services) -> dict[str, str]:
    checks: dict[str, str] = {}
    try:
        async with services.db.session() as session:
            await asyncio.wait_for(session.exec(text("SELECT 1")), timeout=3)  # type: ignore[call-overload]
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unavailable: {type(exc).__name__}"
    try:
        await services.temporal.service_client.check_health(timeout=CHECK_TIMEOUT)
        checks["temporal"] = "ok"
    except Exception as exc:
        checks["temporal"] = f"unavailable: {type(exc).__name__}"
        checks["worker"] = "unknown: Temporal unavailable"
        return checks
    try:
        checks["worker"] = "ok" if await _worker_polling(services) else "no worker polling"
    except Exception as exc:
        checks["worker"] = f"unknown: {type(exc).__name__}"
    return checks


async def _worker_polling(services: Services) -> bool:
    """A worker long-polls the task queue; the server records when each poller last asked. The embedded dev server
    ends long polls after 10 s (stack/cli.py), so a live worker is seen well within the window."""
    described = await services.temporal.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=services.temporal.namespace,
            task_queue=TaskQueue(name=services.settings.temporal_task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        ),
        retry=True,
        timeout=CHECK_TIMEOUT,
    )
    oldest = datetime.now(UTC) - timedelta(seconds=services.settings.worker_poll_window_seconds)
    return any(p.last_access_time.ToDatetime(UTC) >= oldest for p in described.pollers)


@router.get("/metrics", summary="Prometheus metrics")
async def prometheus() -> Response:
    return metrics.exposition()
