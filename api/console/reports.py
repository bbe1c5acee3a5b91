"""The stage-time report (WCO Time Release Study style) as a table and a server-drawn chart, from the same function
as `GET /v1/reports/stage-times`."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.console.chart import stage_chart, stage_rows
from api.console.formatting import label
from api.console.web import Officer, PageError, console_router, render
from api.deps import ServicesDep
from api.errors import ApiError
from api.service import reports as report_service
from api.service import sops as sop_service

router = console_router()


def group_title(group: dict[str, Any]) -> str:
    if group.get("lane") == "all":
        return "All clearances"
    sop = group.get("sop") or {}
    lane = f"{label(group['lane'])} lane" if group.get("lane") else "No lane (ended before the risk stage)"
    return f"{lane}, {sop.get('name')} version {sop.get('version')}"


@router.get("/reports/stage-times")
async def stage_times(
    request: Request,
    officer: Officer,
    services: ServicesDep,
    to: str = "",
    sop: str = "",
) -> HTMLResponse:
    # `from` is a Python keyword: read it from the query string as the API names it.
    since = request.query_params.get("from", "").strip()
    filters = {"from": since, "to": to.strip(), "sop": sop.strip()}
    async with services.db.session() as session:
        sop_names = [entry.name for entry in await sop_service.catalogue(session=session, principal=officer)]
    report: dict[str, Any] | None = None
    error = None
    try:
        found = await report_service.stage_times_report(
            services=services,
            principal=officer,
            from_=filters["from"] or None,
            to=filters["to"] or None,
            sop=filters["sop"] or None,
        )
        report = found.body()
    except ApiError as exc:
        field = str(exc.loc[-1]) if exc.loc else None
        error = PageError.of(exc, field_id=f"report-{field}" if field in filters else None)
    groups = []
    for n, group in enumerate((report or {}).get("groups", [])):
        title = group_title(group)
        groups.append(
            {
                "title": title,
                "group": group,
                "rows": stage_rows(group, report["stages"] if report else []),
                "chart": stage_chart(group, report["stages"] if report else [], f"Time per stage: {title}", f"g{n}"),
            }
        )
    return render(
        request,
        "stage_times.html.j2",
        report=report,
        groups=groups,
        filters=filters,
        sop_names=sop_names,
        error=error,
        status_code=error.status if error else 200,
    )
