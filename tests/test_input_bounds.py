"""Bounds at the edges so that no arithmetic in workflow code can raise on accepted input: SOP durations that
workflow time is added to, and inspection appointments that pages and notices render in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.clearance import Actor, ScheduleInspection, TaskKind
from sop.catalogue import SopError, validate_definition
from sop.model import MAX_DURATION, TaskSpec
from tests.conftest import Stack
from tests.support import sop_data
from workflows.tasks import TaskBook

OFFICER = Actor(id="co", name="Co", agency="DEMO-CUSTOMS", roles=["customs_officer"])


@pytest.mark.parametrize("due", ["P999999999D", "-PT1H", "P3651D"])
def test_sop_task_durations_are_bounded(due: str) -> None:
    data = sop_data()
    approval = next(s for s in data["steps"] if s["kind"] == "approval")
    approval["task"]["due"] = due
    with pytest.raises(SopError) as refused:
        validate_definition(data)
    assert any(e["loc"][-1] == "due" for e in refused.value.errors), refused.value.errors


def test_sop_inspection_due_and_escalation_are_bounded() -> None:
    data = sop_data()
    inspection = next(s for s in data["steps"] if s["kind"] == "inspection")
    inspection["due"] = "P99999999D"
    inspection["escalation"] = {"after": "P99999999D", "to": "duty_chief"}
    with pytest.raises(SopError) as refused:
        validate_definition(data)
    assert {tuple(e["loc"][-2:]) for e in refused.value.errors} >= {("escalation", "after")}
    assert any(e["loc"][-1] == "due" for e in refused.value.errors)


def test_the_longest_due_date_and_escalation_stay_in_the_calendar() -> None:
    """The largest accepted durations added to a late workflow time: no OverflowError in the interpreter."""
    spec = TaskSpec.model_validate(
        {"role": "supervisor", "due": "P3650D", "escalation": {"after": "P3650D", "to": "duty_chief"}}
    )
    assert spec.due == MAX_DURATION
    book = TaskBook(mrn="26DE0000000000000", workflow_id="w", agency="DEMO-CUSTOMS", four_eyes=[])
    late = datetime(8000, 1, 1, tzinfo=UTC)
    task = book.open(
        number=1,
        kind=TaskKind.approval,
        role="supervisor",
        title="Approve",
        now=late,
        due=spec.due,
        subject={},
        escalation=spec.escalation,
    )
    assert book.next_deadline([task.id]) == late + MAX_DURATION
    assert book.escalate([task.id], late + 2 * MAX_DURATION)


@pytest.mark.parametrize("at", ["9999-12-31T23:59:00-23:59", "9500-01-01T00:00:00Z", "2027-01-01T10:00:00"])
def test_inspection_appointments_outside_the_calendar_are_refused(at: str) -> None:
    with pytest.raises(ValidationError):
        ScheduleInspection.model_validate({"actor": OFFICER.model_dump(), "at": at, "place": "bay 4"})
    ok = ScheduleInspection.model_validate(
        {"actor": OFFICER.model_dump(), "at": "2027-01-01T10:00:00+01:00", "place": "x"}
    )
    assert ok.at.astimezone(UTC) == datetime(2027, 1, 1, 9, tzinfo=UTC)
    assert ok.at - datetime(2026, 1, 1, tzinfo=UTC) > timedelta(0)


@pytest.mark.e2e
async def test_the_schedule_route_refuses_a_time_without_utc_equivalent(stack: Stack) -> None:
    response = await stack.http.put(
        "/v1/clearances/26DE0000000000000A0/inspection/schedule",
        json={"at": "9999-12-31T23:59:00-23:59", "place": "bay 4"},
        headers=stack.auth("customs_officer"),
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", "at"]
