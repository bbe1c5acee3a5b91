"""Reports for auditors and managers: stage times in the style of the WCO Time Release Study."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import CurrentPrincipal, ServicesDep, require_role
from api.errors import invalid
from store import stage_times

router = APIRouter(prefix="/v1/reports", tags=["reports"])

REPORT_ROLES = ("customs_officer", "export_control_officer", "supervisor", "auditor", "admin")
DEFAULT_PERIOD = timedelta(days=30)
MAX_PERIOD = timedelta(days=366)


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def _instant(name: str, raw: str, *, end_of_day: bool) -> datetime:
    """An RFC 3339 timestamp (naive means UTC) or a date: its midnight, or the next one for `to`, so the day counts.
    Bounded to [1970, 9999) so that no period arithmetic leaves the calendar."""
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            at = datetime(day.year, day.month, day.day, tzinfo=UTC)
            at = min(at + timedelta(days=1), LATEST) if end_of_day and at < LATEST else at
        else:
            at = datetime.fromisoformat(raw)
            at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise invalid(["query", name], f"{raw!r} is neither an RFC 3339 timestamp nor a date (YYYY-MM-DD)") from exc
    if not EARLIEST <= at <= LATEST:
        raise invalid(["query", name], f"{raw!r} is outside {EARLIEST.year} to {LATEST.year}")
    return at


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
    require_role(principal, *REPORT_ROLES)
    until = _instant("to", to, end_of_day=True) if to else datetime.now(UTC)
    since = _instant("from", from_, end_of_day=False) if from_ else max(until - DEFAULT_PERIOD, EARLIEST)
    if since >= until:
        raise invalid(["query", "from"], "from must be before to")
    if until - since > MAX_PERIOD:
        raise invalid(["query", "from"], f"the period may span at most {MAX_PERIOD.days} days")
    async with services.db.session() as session:
        views = await stage_times.load_views(session, agency=principal.agency, since=since, until=until, sop_name=sop)
    report = stage_times.stage_report(views)
    return {"from": since, "to": until, "agency": principal.agency, **report}
