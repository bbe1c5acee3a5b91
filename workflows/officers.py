"""The officers' and the declarant's actions on a clearance as a whole — invalidate, re-route, hold, release a
hold, schedule the inspection: who may, and when. Pure checks (like `TaskBook.validate_*` for tasks): the Update
validators of the clearance call them, and each raises a typed refusal (`workflows.tasks.reject`) before anything
reaches history; none of them changes state. Who may is asked of `domain.policy` (the one home of every
permission rule); what is checked here is the clearance's state.
"""

from __future__ import annotations

from datetime import datetime

from domain import policy
from domain.clearance import (
    ClearanceView,
    Invalidate,
    PlaceHold,
    Rejection,
    ReleaseHold,
    Reroute,
    ScheduleInspection,
)
from workflows.parking import AGENCY_HOLD
from workflows.progress import Progress
from workflows.rescreen_hits import SYSTEM
from workflows.tasks import refuse, reject


def scope(view: ClearanceView) -> policy.ClearanceScope:
    """This clearance as the permission rules (`domain.policy`) see it."""
    return policy.ClearanceScope(view.mrn, view.declarant_eori, view.agency, tuple(s.agency for s in view.agencies))


def check_undecided(view: ClearanceView, progress: Progress) -> None:
    if view.outcome is not None or progress.invalidation is not None:
        state = view.outcome.value if view.outcome else "being invalidated"
        raise reject(Rejection.conflict, f"clearance {view.mrn} is already {state}")
    if progress.decided is not None:
        raise reject(Rejection.conflict, f"clearance {view.mrn} is being concluded as {progress.decided[0].value}")


def check_invalidate(cmd: Invalidate, view: ClearanceView, progress: Progress) -> None:
    refuse(policy.may_invalidate(cmd.actor, scope(view)))
    if view.outcome is not None or progress.invalidation is not None:
        state = view.outcome.value if view.outcome else "being invalidated"
        raise reject(Rejection.conflict, f"clearance {view.mrn} is already {state}")


def check_reroute(cmd: Reroute, view: ClearanceView, progress: Progress) -> None:
    refuse(policy.may_reroute(cmd.actor, scope(view)))
    check_undecided(view, progress)
    current = view.lane
    if current is None:
        raise reject(Rejection.conflict, f"clearance {view.mrn} has no lane yet; the risk step has not run")
    if cmd.lane == current:
        raise reject(Rejection.conflict, f"clearance {view.mrn} is already in the {current.value} lane")
    refuse(policy.may_move_lane(cmd.actor, current, cmd.lane))
    if not cmd.reason.strip():
        raise reject(Rejection.invalid, "a reason is required", field=["reason"])


def check_place_hold(cmd: PlaceHold, view: ClearanceView, progress: Progress) -> None:
    refuse(policy.may_place_hold(cmd.actor, scope(view)))
    if view.outcome is not None or progress.invalidation is not None:
        raise reject(Rejection.conflict, f"clearance {view.mrn} is already concluded")
    if view.hold is not None:
        hold = view.hold
        raise reject(Rejection.conflict, f"clearance {view.mrn} is already on hold ({hold.by}: {hold.reason})")
    if not cmd.reason.strip():
        raise reject(Rejection.invalid, "a reason is required", field=["reason"])


def check_release_hold(cmd: ReleaseHold, view: ClearanceView, progress: Progress, *, rescreen_open: bool) -> None:
    """`rescreen_open`: a re-screening review is open (only deciding it releases the system's hold)."""
    refuse(policy.may_release_hold(cmd.actor, scope(view)))
    hold = view.hold
    if hold is None or progress.invalidation is not None:
        raise reject(Rejection.conflict, f"clearance {view.mrn} is not on hold")
    if hold.by == SYSTEM and rescreen_open:
        raise reject(
            Rejection.conflict,
            f"clearance {view.mrn} is held for an open re-screening review; deciding it releases the hold",
        )
    # An agency's parking hold is no officer's own: any officer who may release holds may release it.
    refuse(
        policy.may_release_hold(
            cmd.actor,
            scope(view),
            placed_by=None if hold.by == AGENCY_HOLD else hold.by,
            hold_agency=hold.agency or view.agency,
        )
    )
    if not cmd.reason.strip():
        raise reject(Rejection.invalid, "a reason is required", field=["reason"])


def check_schedule_inspection(
    cmd: ScheduleInspection, view: ClearanceView, progress: Progress, *, now: datetime
) -> None:
    step = progress.inspection_step
    roles = [a.role for a in step.agencies] if step else None
    refuse(policy.may_schedule_inspection(cmd.actor, scope(view), roles))
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
