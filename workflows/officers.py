"""The officers' and the declarant's actions on a clearance as a whole — invalidate, re-route, hold, release a
hold, schedule the inspection: who may, and when. Pure checks (like `TaskBook.validate_*` for tasks): the Update
validators of the clearance call them, and each raises a typed refusal (`workflows.tasks.reject`) before anything
reaches history; none of them changes state.
"""

from __future__ import annotations

from datetime import datetime

from domain.clearance import (
    Actor,
    ClearanceView,
    Invalidate,
    PlaceHold,
    Rejection,
    ReleaseHold,
    Reroute,
    ScheduleInspection,
)
from domain.vocabulary import LANE_SCRUTINY
from workflows.parking import AGENCY_HOLD
from workflows.progress import Progress
from workflows.rescreen_hits import SYSTEM
from workflows.tasks import reject

REROUTE_ROLES = ("customs_officer", "supervisor")
HOLD_ROLES = ("customs_officer", "export_control_officer", "supervisor")


def check_officer(actor: Actor, roles: tuple[str, ...], what: str, *, agency: str) -> None:
    if actor.agency != agency or not set(actor.roles) & set(roles):
        raise reject(
            Rejection.forbidden,
            f"only {', '.join(dict.fromkeys(roles))} of {agency} may {what} a clearance",
        )


def check_undecided(view: ClearanceView, progress: Progress) -> None:
    if view.outcome is not None or progress.invalidation is not None:
        state = view.outcome.value if view.outcome else "being invalidated"
        raise reject(Rejection.conflict, f"clearance {view.mrn} is already {state}")
    if progress.decided is not None:
        raise reject(Rejection.conflict, f"clearance {view.mrn} is being concluded as {progress.decided[0].value}")


def check_invalidate(cmd: Invalidate, view: ClearanceView, progress: Progress) -> None:
    if cmd.actor.eori != view.declarant_eori or "declarant" not in cmd.actor.roles:
        raise reject(Rejection.forbidden, "only the declarant who lodged the declaration may invalidate it")
    if view.outcome is not None or progress.invalidation is not None:
        state = view.outcome.value if view.outcome else "being invalidated"
        raise reject(Rejection.conflict, f"clearance {view.mrn} is already {state}")


def check_reroute(cmd: Reroute, view: ClearanceView, progress: Progress) -> None:
    check_officer(cmd.actor, REROUTE_ROLES, "re-route", agency=view.agency)
    check_undecided(view, progress)
    current = view.lane
    if current is None:
        raise reject(Rejection.conflict, f"clearance {view.mrn} has no lane yet; the risk step has not run")
    if cmd.lane == current:
        raise reject(Rejection.conflict, f"clearance {view.mrn} is already in the {current.value} lane")
    if LANE_SCRUTINY[cmd.lane] < LANE_SCRUTINY[current] and "supervisor" not in cmd.actor.roles:
        raise reject(
            Rejection.forbidden, f"only a supervisor may move a clearance from {current.value} to {cmd.lane.value}"
        )
    if not cmd.reason.strip():
        raise reject(Rejection.invalid, "a reason is required", field=["reason"])


def check_place_hold(cmd: PlaceHold, view: ClearanceView, progress: Progress) -> None:
    check_officer(cmd.actor, HOLD_ROLES, "put on hold", agency=view.agency)
    if view.outcome is not None or progress.invalidation is not None:
        raise reject(Rejection.conflict, f"clearance {view.mrn} is already concluded")
    if view.hold is not None:
        hold = view.hold
        raise reject(Rejection.conflict, f"clearance {view.mrn} is already on hold ({hold.by}: {hold.reason})")
    if not cmd.reason.strip():
        raise reject(Rejection.invalid, "a reason is required", field=["reason"])


def check_release_hold(cmd: ReleaseHold, view: ClearanceView, progress: Progress, *, rescreen_open: bool) -> None:
    """`rescreen_open`: a re-screening review is open (only deciding it releases the system's hold)."""
    check_officer(cmd.actor, HOLD_ROLES, "release a hold on", agency=view.agency)
    hold = view.hold
    if hold is None or progress.invalidation is not None:
        raise reject(Rejection.conflict, f"clearance {view.mrn} is not on hold")
    if hold.by == SYSTEM and rescreen_open:
        raise reject(
            Rejection.conflict,
            f"clearance {view.mrn} is held for an open re-screening review; deciding it releases the hold",
        )
    if cmd.actor.id != hold.by and hold.by != AGENCY_HOLD and "supervisor" not in cmd.actor.roles:
        raise reject(Rejection.forbidden, f"only {hold.by}, who placed the hold, or a supervisor may release it")
    if not cmd.reason.strip():
        raise reject(Rejection.invalid, "a reason is required", field=["reason"])


def check_schedule_inspection(
    cmd: ScheduleInspection, view: ClearanceView, progress: Progress, *, now: datetime
) -> None:
    step = progress.inspection_step
    roles = ("customs_officer", "supervisor", *(a.role for a in step.agencies)) if step else ("customs_officer",)
    check_officer(cmd.actor, roles, "schedule the inspection of", agency=view.agency)
    if step is None or view.outcome is not None or progress.invalidation is not None:
        raise reject(Rejection.conflict, f"clearance {view.mrn} has no joint inspection in progress")
    if cmd.at.tzinfo is None:
        raise reject(Rejection.invalid, "the time needs a UTC offset (RFC 3339)", field=["at"])
    if cmd.at <= now:
        raise reject(Rejection.invalid, "the inspection must be scheduled in the future", field=["at"])
    if not cmd.place.strip():
        raise reject(Rejection.invalid, "a place is required", field=["place"])
    if cmd.agencies is not None:
        known = [a.agency for a in step.agencies]
        if not cmd.agencies:
            raise reject(Rejection.invalid, "name at least one participating agency", field=["agencies"])
        for i, agency in enumerate(cmd.agencies):
            if agency not in known:
                raise reject(
                    Rejection.invalid,
                    f"{agency} does not take part in this inspection; the SOP names {', '.join(known)}",
                    field=["agencies", i],
                )
