"""Reports for auditors and managers: stage times in the style of the WCO Time Release Study. Shared by
`GET /v1/reports/stage-times` and the console's chart."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from api.deps import Services
from api.errors import check, invalid
from domain import policy
from store import stage_times
from store.models import Principal

DEFAULT_PERIOD = timedelta(days=30)
MAX_PERIOD = timedelta(days=366)


class StageTimeReport(BaseModel):
    """`groups`: the "all" group first, then one per lane and SOP version (`store.stage_times.stage_report`)."""

    from_: datetime
    to: datetime
    agency: str
    clearances: int
    stages: list[str]
    groups: list[dict[str, Any]]

    def body(self) -> dict[str, Any]:
        data = self.model_dump()
        return {"from": data.pop("from_"), **data}


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


async def stage_times_report(
    *,
    services: Services,
    principal: Principal,
    from_: str | None = None,
    to: str | None = None,
    sop: str | None = None,
) -> StageTimeReport:
    """Finished clearances of the principal's agency accepted in [from, to) (default: the last 30 days)."""
    check(policy.may_read_reports(principal))
    until = _instant("to", to, end_of_day=True) if to else datetime.now(UTC)
    since = _instant("from", from_, end_of_day=False) if from_ else max(until - DEFAULT_PERIOD, EARLIEST)
    if since >= until:
        raise invalid(["query", "from"], "from must be before to")
    if until - since > MAX_PERIOD:
        raise invalid(["query", "from"], f"the period may span at most {MAX_PERIOD.days} days")
    async with services.db.session() as session:
        views = await stage_times.load_views(session, agency=principal.agency, since=since, until=until, sop_name=sop)
    return StageTimeReport(from_=since, to=until, agency=principal.agency, **stage_times.stage_report(views))
