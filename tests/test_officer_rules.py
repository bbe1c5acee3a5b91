"""The officers' and the declarant's actions on a clearance as pure checks (workflows/officers.py), the ones the
clearance's Update validators apply: who may invalidate, re-route, hold, release a hold and schedule the
inspection, and when; each refusal typed for the API (403, 409, 422 with the field)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from temporalio.exceptions import ApplicationError

from domain.clearance import (
    Actor,
    ClearanceView,
    Hold,
    Invalidate,
    PlaceHold,
    Rejection,
    ReleaseHold,
    Reroute,
    ScheduleInspection,
)
from domain.declaration import Declaration
from domain.vocabulary import Lane, Outcome, Status
from sop.model import InspectionStep, SopRef
from tests.support import DECLARANT_EORI, TEST_AGENCY, example, sop_definition
from workflows import officers
from workflows.progress import Progress
from workflows.rescreen_hits import SYSTEM

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
OFFICER = Actor(id="co", name="CO", agency=TEST_AGENCY, roles=["customs_officer"])
SUPERVISOR = Actor(id="sv", name="SV", agency=TEST_AGENCY, roles=["supervisor"])
INSPECTOR = Actor(id="in", name="IN", agency=TEST_AGENCY, roles=["inspector"])
FOREIGN = Actor(id="fx", name="FX", agency="OTHER-CUSTOMS", roles=["customs_officer", "supervisor"])
DECLARANT = Actor(id="dc", name="DC", agency="DEMO-TRADE", roles=["declarant"], eori=DECLARANT_EORI)


def view(**changes: object) -> ClearanceView:
    base = ClearanceView(
        mrn="26DE0000000000000X",
        lrn="L-1",
        workflow_id="clearance-x",
        declarant_eori=DECLARANT_EORI,
        agency=TEST_AGENCY,
        status=Status.awaiting_decision,
        stage="approval",
        sop=SopRef(name="test-clearance", version=1, hash="h"),
        declaration=Declaration.model_validate(example("green-lane")),
        accepted_at=NOW,
        updated_at=NOW,
        lane=Lane.yellow,
    )
    return base.model_copy(update=changes)


def refusal(check: object, *args: object, **kwargs: object) -> tuple[str, str]:
    with pytest.raises(ApplicationError) as caught:
        check(*args, **kwargs)  # type: ignore[operator]
    return caught.value.type or "", caught.value.message


def test_reroute_a_stricter_lane_by_an_officer_a_laxer_one_only_by_a_supervisor() -> None:
    officers.check_reroute(Reroute(actor=OFFICER, lane=Lane.red, reason="tip-off"), view(), Progress())
    officers.check_reroute(Reroute(actor=SUPERVISOR, lane=Lane.green, reason="cleared"), view(), Progress())
    kind, message = refusal(
        officers.check_reroute, Reroute(actor=OFFICER, lane=Lane.green, reason="x"), view(), Progress()
    )
    assert (kind, message) == (Rejection.forbidden.value, "only a supervisor may move a clearance from yellow to green")
    kind, message = refusal(
        officers.check_reroute, Reroute(actor=FOREIGN, lane=Lane.red, reason="x"), view(), Progress()
    )
    assert kind == Rejection.forbidden.value and f"of {TEST_AGENCY} may re-route" in message
    kind, message = refusal(
        officers.check_reroute, Reroute(actor=INSPECTOR, lane=Lane.red, reason="x"), view(), Progress()
    )
    assert kind == Rejection.forbidden.value


def test_reroute_refused_without_a_lane_to_the_same_lane_and_once_decided() -> None:
    cmd = Reroute(actor=OFFICER, lane=Lane.red, reason="x")
    assert refusal(officers.check_reroute, cmd, view(lane=None), Progress())[1].endswith("the risk step has not run")
    same = Reroute(actor=OFFICER, lane=Lane.yellow, reason="x")
    assert refusal(officers.check_reroute, same, view(), Progress())[1].endswith("already in the yellow lane")
    assert refusal(officers.check_reroute, cmd, view(outcome=Outcome.released), Progress())[1].endswith(
        "already released"
    )
    concluding = Progress(decided=(Outcome.referred, "confirmed match"))
    kind, message = refusal(officers.check_reroute, cmd, view(), concluding)
    assert kind == Rejection.conflict.value and message.endswith("is being concluded as referred")
    blank = Reroute(actor=OFFICER, lane=Lane.red, reason="   ")
    with pytest.raises(ApplicationError) as caught:
        officers.check_reroute(blank, view(), Progress())
    assert caught.value.type == Rejection.invalid.value and caught.value.details[0] == ["reason"]


def test_a_hold_once_and_released_by_who_placed_it_or_a_supervisor() -> None:
    officers.check_place_hold(PlaceHold(actor=OFFICER, reason="check"), view(), Progress())
    held = view(hold=Hold(by="co", reason="check", at=NOW))
    kind, message = refusal(officers.check_place_hold, PlaceHold(actor=SUPERVISOR, reason="again"), held, Progress())
    assert (kind, message) == (Rejection.conflict.value, "clearance 26DE0000000000000X is already on hold (co: check)")
    officers.check_release_hold(ReleaseHold(actor=OFFICER, reason="ok"), held, Progress(), rescreen_open=False)
    officers.check_release_hold(ReleaseHold(actor=SUPERVISOR, reason="ok"), held, Progress(), rescreen_open=False)
    other = Actor(id="co2", name="CO2", agency=TEST_AGENCY, roles=["customs_officer"])
    kind, message = refusal(
        officers.check_release_hold, ReleaseHold(actor=other, reason="ok"), held, Progress(), rescreen_open=False
    )
    assert (kind, message) == (
        Rejection.forbidden.value,
        "only co, who placed the hold, or a supervisor may release it",
    )
    kind, _ = refusal(
        officers.check_release_hold, ReleaseHold(actor=OFFICER, reason="ok"), view(), Progress(), rescreen_open=False
    )
    assert kind == Rejection.conflict.value


def test_the_system_hold_of_an_open_rescreening_review_is_released_only_by_deciding_it() -> None:
    held = view(hold=Hold(by=SYSTEM, reason="re-screening", at=NOW))
    kind, message = refusal(
        officers.check_release_hold, ReleaseHold(actor=SUPERVISOR, reason="x"), held, Progress(), rescreen_open=True
    )
    assert kind == Rejection.conflict.value and "deciding it releases the hold" in message
    officers.check_release_hold(ReleaseHold(actor=SUPERVISOR, reason="x"), held, Progress(), rescreen_open=False)


def test_only_the_declarant_who_lodged_it_invalidates_and_only_once() -> None:
    officers.check_invalidate(Invalidate(actor=DECLARANT, reason="cancelled"), view(), Progress())
    stranger = DECLARANT.model_copy(update={"eori": "FR999888777666555"})
    kind, _ = refusal(officers.check_invalidate, Invalidate(actor=stranger, reason="x"), view(), Progress())
    assert kind == Rejection.forbidden.value
    again = Progress(invalidation=Invalidate(actor=DECLARANT, reason="cancelled"))
    kind, message = refusal(officers.check_invalidate, Invalidate(actor=DECLARANT, reason="x"), view(), again)
    assert (kind, message) == (Rejection.conflict.value, "clearance 26DE0000000000000X is already being invalidated")


def test_scheduling_needs_an_inspection_in_progress_a_future_time_and_the_sops_agencies() -> None:
    step = next(s for s in sop_definition(1).steps if isinstance(s, InspectionStep))
    during = Progress(inspection_step=step)
    later = NOW + timedelta(hours=2)
    officers.check_schedule_inspection(
        ScheduleInspection(actor=INSPECTOR, at=later, place="Bay 4"), view(), during, now=NOW
    )
    kind, _ = refusal(
        officers.check_schedule_inspection,
        ScheduleInspection(actor=OFFICER, at=later, place="Bay 4"),
        view(),
        Progress(),
        now=NOW,
    )
    assert kind == Rejection.conflict.value
    with pytest.raises(ApplicationError) as caught:
        officers.check_schedule_inspection(
            ScheduleInspection(actor=OFFICER, at=NOW - timedelta(minutes=1), place="Bay 4"), view(), during, now=NOW
        )
    assert caught.value.type == Rejection.invalid.value and caught.value.details[0] == ["at"]
    with pytest.raises(ApplicationError) as caught:
        officers.check_schedule_inspection(
            ScheduleInspection(actor=OFFICER, at=later, place="Bay 4", agencies=["nobody"]), view(), during, now=NOW
        )
    assert caught.value.details[0] == ["agencies", 0] and "does not take part" in str(caught.value)
