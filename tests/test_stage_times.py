"""Stage times (WCO Time Release Study style): the pure report over hand-made views, and the endpoint end to end."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from store.stage_times import stage_report, summarise
from tests.conftest import Stack
from tests.e2e import awaiting, completed, finish_task, lodge, open_tasks, wait_for
from tests.support import example

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _view(lane: str | None, version: int, stages: list[tuple[str, float, float | None]]) -> dict[str, Any]:
    """A clearance view whose timeline has (stage, start, end) in seconds after T0; end None = still open."""
    timeline = [
        {
            "stage": stage,
            "started_at": (T0 + timedelta(seconds=start)).isoformat(),
            "ended_at": None if end is None else (T0 + timedelta(seconds=end)).isoformat(),
            "actor": None,
        }
        for stage, start, end in stages
    ]
    return {"lane": lane, "sop": {"name": "export-clearance", "version": version}, "timeline": timeline}


def _green(intake: float, risk: float) -> dict[str, Any]:
    return _view("green", 1, [("intake", 0, intake), ("risk", intake, intake + risk), ("outcome", intake + risk, None)])


def _group(report: dict[str, Any], lane: str, version: int | None) -> dict[str, Any]:
    sop = None if version is None else {"name": "export-clearance", "version": version}
    [group] = [g for g in report["groups"] if g["lane"] == lane and g["sop"] == sop]
    return group


# --- the pure function -----------------------------------------------------------------------------------


def test_summarise_median_p90_mean_max() -> None:
    assert summarise([float(s) for s in range(1, 11)]) == {
        "count": 10,
        "median_s": 5.5,
        "p90_s": 9.1,  # inclusive: position 0.9 * 9 = 8.1 between 9 and 10
        "mean_s": 5.5,
        "max_s": 10.0,
    }
    assert summarise([4.0, 2.0, 9.0]) == {"count": 3, "median_s": 4.0, "p90_s": 8.0, "mean_s": 5.0, "max_s": 9.0}


def test_a_single_value_is_its_own_median_and_p90_and_none_is_empty() -> None:
    assert summarise([7.25]) == {"count": 1, "median_s": 7.25, "p90_s": 7.25, "mean_s": 7.25, "max_s": 7.25}
    assert summarise([]) == {"count": 0, "median_s": None, "p90_s": None, "mean_s": None, "max_s": None}


def test_stage_durations_and_total_to_decision_per_lane() -> None:
    report = stage_report([_green(10, 2), _green(20, 4), _green(30, 6)])
    assert report["clearances"] == 3 and report["stages"] == ["intake", "risk", "outcome"]
    green = _group(report, "green", 1)
    assert green["clearances"] == 3
    assert green["stages"]["intake"] == {"count": 3, "median_s": 20.0, "p90_s": 28.0, "mean_s": 20.0, "max_s": 30.0}
    assert green["stages"]["risk"]["median_s"] == 4.0 and green["stages"]["risk"]["p90_s"] == 5.6
    assert "outcome" not in green["stages"]  # the outcome entries are open: skipped
    assert green["total_to_decision"] == {"count": 3, "median_s": 24.0, "p90_s": 33.6, "mean_s": 24.0, "max_s": 36.0}
    assert _group(report, "all", None)["stages"] == green["stages"]


def test_entries_without_ended_at_are_skipped() -> None:
    open_risk = _view("green", 1, [("intake", 0, 5), ("risk", 5, None)])
    report = stage_report([open_risk, _green(1, 3)])
    green = _group(report, "green", 1)
    assert green["stages"]["intake"]["count"] == 2 and green["stages"]["risk"]["count"] == 1
    assert green["stages"]["risk"]["median_s"] == 3.0
    assert green["total_to_decision"]["count"] == 1  # no outcome stage, no decision time


def test_an_end_before_its_start_counts_as_no_time() -> None:
    skewed = _view("green", 1, [("intake", 0, 2), ("licence_check", 2, 1.99), ("outcome", 1.99, None)])
    green = _group(stage_report([skewed]), "green", 1)
    assert green["stages"]["licence_check"]["max_s"] == 0.0
    assert green["total_to_decision"]["median_s"] == 1.99


def test_grouping_by_lane_and_sop_version_with_an_all_group() -> None:
    yellow = _view("yellow", 2, [("intake", 0, 1), ("risk", 1, 2), ("approval", 2, 62), ("outcome", 62, 62)])
    refused = _view(None, 2, [("intake", 0, 1), ("licence_check", 1, 3), ("outcome", 3, 3)])
    report = stage_report([_green(10, 2), _green(20, 2), yellow, refused, _view("green", 2, [("intake", 0, 8)])])
    assert report["clearances"] == 5
    # a stage only some clearances pass through lands where its timelines put it, not after the outcome
    assert report["stages"] == ["intake", "licence_check", "risk", "approval", "outcome"]
    labels = [(g["lane"], g["sop"] and g["sop"]["version"], g["clearances"]) for g in report["groups"]]
    assert labels[0] == ("all", None, 5)
    assert sorted(labels[1:], key=str) == sorted(
        [("green", 1, 2), ("green", 2, 1), ("yellow", 2, 1), (None, 2, 1)], key=str
    )

    assert list(_group(report, "yellow", 2)["stages"]) == ["intake", "risk", "approval", "outcome"]
    assert _group(report, "yellow", 2)["stages"]["approval"]["median_s"] == 60.0
    assert _group(report, "yellow", 2)["total_to_decision"]["max_s"] == 62.0
    assert "approval" not in _group(report, "green", 1)["stages"]
    assert _group(report, "green", 2)["stages"]["intake"]["max_s"] == 8.0
    everything = _group(report, "all", None)
    assert list(everything["stages"]) == report["stages"]
    assert everything["stages"]["intake"]["count"] == 5 and everything["stages"]["intake"]["median_s"] == 8.0


def test_no_views_give_an_empty_report() -> None:
    report = stage_report([])
    assert report["clearances"] == 0 and report["stages"] == []
    assert report["groups"] == [
        {"lane": "all", "sop": None, "clearances": 0, "stages": {}, "total_to_decision": summarise([])}
    ]


# --- the endpoint, end to end ----------------------------------------------------------------------------


async def _yellow_released(stack: Stack) -> str:
    body = example("green-lane", country_of_destination="CN")
    body["consignee"]["address"]["country"] = "CN"
    mrn = (await lodge(stack, body))["mrn"]
    await wait_for(stack, mrn, awaiting("approval"))
    [task] = await open_tasks(stack, "supervisor", mrn, "approval")
    await finish_task(stack, "supervisor", task["id"], "approve", "destination checked")
    await wait_for(stack, mrn, completed)
    return mrn


@pytest.mark.e2e
async def test_stage_times_by_lane_end_to_end(stack: Stack) -> None:
    started = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    greens = [(await lodge(stack, example("green-lane")))["mrn"] for _ in range(2)]
    yellow = await _yellow_released(stack)
    views = await asyncio.gather(*(wait_for(stack, mrn, completed) for mrn in greens))
    assert [v["lane"] for v in views] == ["green", "green"]
    assert (await wait_for(stack, yellow, completed))["lane"] == "yellow"

    response = await stack.http.get(
        "/v1/reports/stage-times", params={"from": started, "sop": "test-clearance"}, headers=stack.auth("auditor")
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["agency"] and report["clearances"] == 3
    assert report["stages"][0] == "intake" and report["stages"][-1] == "outcome"
    assert report["stages"].index("approval") < report["stages"].index("outcome")
    sop = {"name": "test-clearance", "version": 1}
    groups = {(g["lane"], g["sop"]["version"] if g["sop"] else None): g for g in report["groups"]}
    assert groups[("all", None)]["clearances"] == 3 and groups[("all", None)]["sop"] is None
    assert groups[("green", 1)]["clearances"] == 2 and groups[("green", 1)]["sop"] == sop
    assert groups[("yellow", 1)]["clearances"] == 1
    assert "approval" in groups[("yellow", 1)]["stages"] and "approval" not in groups[("green", 1)]["stages"]
    assert groups[("green", 1)]["total_to_decision"]["count"] == 2
    for group in report["groups"]:
        for stats in [*group["stages"].values(), group["total_to_decision"]]:
            assert stats["count"] >= 1 and 0 <= stats["median_s"] <= stats["p90_s"] <= stats["max_s"]

    other_sop = await stack.http.get(
        "/v1/reports/stage-times", params={"from": started, "sop": "no-such-sop"}, headers=stack.auth("supervisor")
    )
    assert other_sop.status_code == 200 and other_sop.json()["clearances"] == 0
    foreign = await stack.http.get(
        "/v1/reports/stage-times", params={"from": started}, headers=stack.auth("foreign_officer")
    )
    assert foreign.status_code == 200 and foreign.json()["clearances"] == 0  # another agency's clearances


@pytest.mark.e2e
async def test_stage_times_refusals_and_defaults(stack: Stack) -> None:
    url = "/v1/reports/stage-times"
    assert (await stack.http.get(url, headers=stack.auth("declarant"))).status_code == 403
    assert (await stack.http.get(url, headers=stack.auth("inspector"))).status_code == 403
    assert (await stack.http.get(url)).status_code == 401

    default = await stack.http.get(url, headers=stack.auth("admin"))
    assert default.status_code == 200, default.text
    since, until = (datetime.fromisoformat(default.json()[k]) for k in ("from", "to"))
    assert until - since == timedelta(days=30)

    by_date = (
        await stack.http.get(url, params={"from": "2026-01-01", "to": "2026-01-31"}, headers=stack.auth("auditor"))
    ).json()
    assert datetime.fromisoformat(by_date["to"]) - datetime.fromisoformat(by_date["from"]) == timedelta(days=31)

    for params in (
        {"from": "2026-02-01", "to": "2026-01-01"},
        {"from": "2026-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
        {"from": "2024-01-01", "to": "2026-01-01"},
    ):
        refused = await stack.http.get(url, params=params, headers=stack.auth("auditor"))
        assert refused.status_code == 422, params
        assert refused.json()["errors"][0]["loc"] == ["query", "from"]
    bad = await stack.http.get(url, params={"to": "yesterday"}, headers=stack.auth("auditor"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["query", "to"]
