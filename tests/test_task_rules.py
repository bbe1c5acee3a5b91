"""Completing a task: who may (the assignee; an unclaimed task is claimed in the same Update), what an inspection
must record, and the SOP's quantity tolerance the officer must confirm a count beyond. Pure TaskBook rules, the
ones the Update validators apply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from domain.clearance import Actor, ClaimTask, CompleteTask, Rejection, Task, TaskKind
from domain.inspection import parse_findings
from workflows.inspection import consolidate
from workflows.tasks import TaskBook

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
INSPECTOR = Actor(id="insp", name="Insp", agency="DEMO-CUSTOMS", roles=["inspector"])
OTHER = Actor(id="insp2", name="Insp 2", agency="DEMO-CUSTOMS", roles=["inspector"])


def book(tolerance: float | None = 2.0) -> tuple[TaskBook, Task]:
    tasks = TaskBook(
        mrn="26DE0000000000000",
        workflow_id="w",
        agency="DEMO-CUSTOMS",
        four_eyes=[],
        declared_quantities={1: Decimal("40"), 2: Decimal("12.5")},
        quantity_tolerance_pct=tolerance,
    )
    task = tasks.open(
        number=1,
        kind=TaskKind.inspection_findings,
        role="inspector",
        title="Inspect",
        now=NOW,
        due=timedelta(hours=4),
        subject={},
    )
    return tasks, task


def completion(findings: dict[str, Any] | None, outcome: str = "compliant", **more: Any) -> CompleteTask:
    return CompleteTask(
        task_id="26DE0000000000000-T1", actor=INSPECTOR, outcome=outcome, reason="r", findings=findings, **more
    )


def refusal(tasks: TaskBook, cmd: CompleteTask) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        tasks.validate_complete(cmd)
    return info.value


def test_the_task_shows_the_sops_tolerance() -> None:
    assert book()[1].tolerance_pct == 2.0
    assert book(None)[1].tolerance_pct is None


@pytest.mark.parametrize("findings", [None, {}, {"note": "all fine"}, {"seal_numbers": ["S1"]}])
def test_a_compliant_inspection_needs_findings_that_say_what_was_checked(findings: dict[str, Any] | None) -> None:
    tasks, _ = book()
    refused = refusal(tasks, completion(findings))
    assert refused.type == Rejection.invalid.value and refused.details[0] == ["findings"]
    assert "needs its findings" in refused.message


@pytest.mark.parametrize(
    "findings", [{"seals_checked": False}, {"counts": [{"item_sequence": 1, "counted": 40}]}, {"evidence": ["p-1"]}]
)
def test_findings_that_record_a_check_are_enough(findings: dict[str, Any]) -> None:
    tasks, _ = book()
    tasks.validate_complete(completion(findings))


def test_a_non_compliant_inspection_may_come_without_findings() -> None:
    tasks, _ = book()
    tasks.validate_complete(completion(None, outcome="non_compliant"))


def test_a_count_beyond_the_tolerance_needs_the_officers_confirmation_to_be_compliant() -> None:
    tasks, _ = book(2.0)
    findings = {"counts": [{"item_sequence": 2, "counted": "12.5"}, {"item_sequence": 1, "counted": 41}]}
    refused = refusal(tasks, completion(findings))
    assert refused.type == Rejection.invalid.value and refused.details[0] == ["findings", "counts", 1, "counted"]
    assert refused.message == (
        "item 1: 41 counted vs 40 declared is 2.5 %, beyond the SOP's 2 % tolerance; "
        "confirm the deviation (confirm_deviation) or record non-compliant"
    )
    tasks.validate_complete(completion(findings, confirm_deviation=True))
    tasks.validate_complete(completion(findings, outcome="non_compliant"))


def test_a_count_within_the_tolerance_is_compliant_without_confirmation() -> None:
    tasks, _ = book(2.5)
    tasks.validate_complete(completion({"counts": [{"item_sequence": 1, "counted": 41}]}))


def test_every_count_beyond_the_tolerance_is_reported() -> None:
    tasks, _ = book(0.0)
    refused = refusal(
        tasks, completion({"counts": [{"item_sequence": 1, "counted": 39}, {"item_sequence": 2, "counted": 13}]})
    )
    listed = refused.details[1]
    assert [e["loc"] for e in listed] == [["findings", "counts", 0, "counted"], ["findings", "counts", 1, "counted"]]
    assert "item 2: 13 counted vs 12.5 declared is 4.0 %, beyond the SOP's 0 % tolerance" in listed[1]["msg"]


@pytest.mark.parametrize("counted", ["1e999999999", "1e-999999999", 12345678901234567, "0.0001", -1])
def test_counts_that_arithmetic_could_not_bear_are_refused_as_findings_errors(counted: object) -> None:
    tasks, _ = book()
    refused = refusal(tasks, completion({"counts": [{"item_sequence": 1, "counted": counted}]}))
    assert refused.type == Rejection.invalid.value and refused.details[0] == ["findings", "counts", 0, "counted"]


def test_every_findings_error_is_reported_at_once() -> None:
    tasks, _ = book()
    bad = {"seals_checked": "maybe", "counts": [{"item_sequence": 0, "counted": 1}], "discrepancies": [{"kind": "x"}]}
    listed = refusal(tasks, completion(bad)).details[1]
    locs = [e["loc"] for e in listed]
    assert ["findings", "seals_checked"] in locs and ["findings", "counts", 0, "item_sequence"] in locs
    assert ["findings", "discrepancies", 0, "item_sequence"] in locs and [
        "findings",
        "discrepancies",
        0,
        "kind",
    ] in locs


def test_completing_an_unclaimed_task_claims_it_in_the_same_step() -> None:
    tasks, _ = book()
    done = tasks.complete(completion({"seals_checked": True}), NOW)
    assert done.assignee == "insp" and done.completed_by == "insp" and done.state == "completed"


def test_a_task_someone_else_holds_cannot_be_completed() -> None:
    tasks, task = book()
    tasks.claim(ClaimTask(task_id=task.id, actor=OTHER))
    refused = refusal(tasks, completion({"seals_checked": True}))
    assert refused.type == Rejection.forbidden.value and "assigned to insp2" in refused.message


def test_applying_a_completion_does_not_re_judge_findings_with_rules_added_later() -> None:
    """Replay runs the Update handler, not its validator: a completion recorded before the findings rules (here
    compliant without findings) must apply again exactly as it did."""
    tasks, _ = book()
    done = tasks.complete(completion(None), NOW)
    assert done.state == "completed" and done.findings is None


def test_consolidation_fails_safe_on_findings_that_no_longer_read() -> None:
    from tests.test_inspection import finding, inspection

    result = consolidate(
        [finding("customs", "compliant", {"counts": [{"item_sequence": 1, "counted": "1e999999999"}]})], inspection(2)
    )
    assert result.outcome == "non_compliant" and "could not be read" in result.notes[0]
    assert parse_findings({"counts": [{"item_sequence": 1, "counted": "40.5"}]}).counts[0].counted == Decimal("40.5")
