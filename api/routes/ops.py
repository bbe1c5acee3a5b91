"""Liveness, readiness and metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api import metrics
from api.deps import ServicesDep

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database and Temporal are reachable")
async def readyz(services: ServicesDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        async with services.db.session() as session:
            await asyncio.wait_for(session.exec(text("SELECT 1")), timeout=3)  # type: ignore[call-overload]
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unavailable: {type(exc).__name__}"
    try:
        await asyncio.wait_for(services.temporal.service_client.check_health(), timeout=3)
        checks["temporal"] = "ok"
    except Exception as exc:
        checks["temporal"] = f"unavailable: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        status_code=200 if ready else 503, content={"status": "ready" if ready else "not ready", **checks}
    )


@router.get("/metrics", summary="Prometheus metrics")
async def prometheus() -> Response:
    return metrics.exposition()
