"""Reports for auditors and managers: stage times in the style of the WCO Time Release Study."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import CurrentPrincipal, ServicesDep
from api.service import reports as service

router = APIRouter(prefix="/v1/reports", tags=["reports"])


@router.get(
    "/stage-times",
    summary="Median and 90th percentile time per stage by lane and SOP version (WCO Time Release Study style)",
    description="Finished clearances (completed or invalidated) of the caller's agency accepted in [from, to). "
    "`from`/`to` take RFC 3339 timestamps or dates (a `to` date includes that day); the default is the last 30 "
    "days, the longest period 366 days. Durations are in seconds; `total_to_decision` runs from acceptance to the "
    'start of the outcome stage. The group with `"lane": "all"` and `"sop": null` covers every clearance.',
)
async def stage_times_report(
    principal: CurrentPrincipal,
    services: ServicesDep,
    from_: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    to: Annotated[str | None, Query(max_length=40)] = None,
    sop: Annotated[str | None, Query(max_length=63, description="only clearances on this SOP (by name)")] = None,
) -> dict[str, Any]:
    report = await service.stage_times_report(services=services, principal=principal, from_=from_, to=to, sop=sop)
    return report.body()
