"""Stage times in the style of the WCO Time Release Study: how long finished clearances spent in each stage, and
from acceptance to the release decision, per lane and SOP version.

`stage_report` is a pure function over clearance views (the `view` column of the read model, as JSON);
`load_views` reads those views for one agency and period.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import ClearanceRecord

FINISHED_STATUSES = ("completed", "invalidated")
DECISION_STAGE = "outcome"
ALL_GROUP: dict[str, Any] = {"lane": "all", "sop": None}

GroupBy = Callable[[Mapping[str, Any]], dict[str, Any]]


def lane_and_sop(view: Mapping[str, Any]) -> dict[str, Any]:
    """The default grouping: the clearance's lane (None when it ended before the risk stage) and its SOP version."""
    sop = view.get("sop") or {}
    return {"lane": view.get("lane"), "sop": {"name": sop.get("name"), "version": sop.get("version")}}


def _at(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _seconds(start: str | datetime, end: str | datetime) -> float:
    """Never negative. The workflow keeps its timeline monotonic, but clearances recorded before it did (stage ends
    from an activity's clock next to workflow time) may hold a stage that seems to end before it starts."""
    return max(0.0, (_at(end) - _at(start)).total_seconds())


def summarise(durations: list[float]) -> dict[str, Any]:
    """count, median, 90th percentile (inclusive method), mean and max in seconds; None values when empty."""
    if not durations:
        return {"count": 0, "median_s": None, "p90_s": None, "mean_s": None, "max_s": None}
    p90 = statistics.quantiles(durations, n=10, method="inclusive")[8] if len(durations) > 1 else durations[0]
    return {
        "count": len(durations),
        "median_s": round(statistics.median(durations), 3),
        "p90_s": round(p90, 3),
        "mean_s": round(statistics.fmean(durations), 3),
        "max_s": round(max(durations), 3),
    }


def _merge_order(order: list[str], stages: list[str]) -> None:
    """Add the stages not yet in `order`, each right after the stage that preceded it in this timeline, so a stage
    only some clearances pass through (approval) lands between its neighbours rather than after the outcome."""
    previous: str | None = None
    for stage in stages:
        if stage not in order:
            order.insert(order.index(previous) + 1 if previous is not None else 0, stage)
        previous = stage


def _total_to_decision(timeline: list[Mapping[str, Any]]) -> float | None:
    decision = next((e for e in timeline if e.get("stage") == DECISION_STAGE), None)
    if not timeline or decision is None:
        return None
    return _seconds(timeline[0]["started_at"], decision["started_at"])


class _Group:
    def __init__(self, label: dict[str, Any]) -> None:
        self.label = label
        self.clearances = 0
        self.stages: dict[str, list[float]] = {}
        self.totals: list[float] = []

    def add(self, timeline: list[Mapping[str, Any]]) -> None:
        self.clearances += 1
        for entry in timeline:
            if entry.get("ended_at"):
                self.stages.setdefault(entry["stage"], []).append(_seconds(entry["started_at"], entry["ended_at"]))
        total = _total_to_decision(timeline)
        if total is not None:
            self.totals.append(total)

    def report(self, order: list[str]) -> dict[str, Any]:
        return {
            **self.label,
            "clearances": self.clearances,
            "stages": {stage: summarise(self.stages[stage]) for stage in order if stage in self.stages},
            "total_to_decision": summarise(self.totals),
        }


def stage_report(views: Iterable[Mapping[str, Any]], *, group_by: GroupBy = lane_and_sop) -> dict[str, Any]:
    """Stage durations (ended_at - started_at, at least 0; entries still open are skipped) and the total from
    acceptance (the first timeline entry's start) to the release decision (the outcome stage's start), per group.

    Returns `{"clearances", "stages": [stage order], "groups": [the "all" group first, then one per group_by
    label, sorted]}`; a group's `stages` holds only the stages its clearances passed through."""
    order: list[str] = []
    everything = _Group(dict(ALL_GROUP))
    groups: dict[str, _Group] = {}
    for view in views:
        timeline = list(view.get("timeline") or [])
        _merge_order(order, [e["stage"] for e in timeline])
        label = group_by(view)
        key = json.dumps(label, sort_keys=True, default=str)
        groups.setdefault(key, _Group(label)).add(timeline)
        everything.add(timeline)
    return {
        "clearances": everything.clearances,
        "stages": order,
        "groups": [everything.report(order)] + [groups[key].report(order) for key in sorted(groups)],
    }


async def load_views(
    session: AsyncSession, *, agency: str, since: datetime, until: datetime, sop_name: str | None = None
) -> list[dict[str, Any]]:
    """The views of the agency's finished clearances accepted in [since, until), oldest first."""
    query = select(ClearanceRecord.view).where(
        ClearanceRecord.agency == agency,
        col(ClearanceRecord.status).in_(FINISHED_STATUSES),
        col(ClearanceRecord.accepted_at) >= since,
        col(ClearanceRecord.accepted_at) < until,
    )
    if sop_name is not None:
        query = query.where(ClearanceRecord.sop_name == sop_name)
    query = query.order_by(col(ClearanceRecord.accepted_at), col(ClearanceRecord.mrn))
    return [dict(view) for view in (await session.exec(query)).all()]
