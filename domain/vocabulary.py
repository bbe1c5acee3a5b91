"""The clearance's words, defined once: lanes, outcomes, statuses, task kinds and the outcomes each kind takes.

The SOP schema (`sop.model`) and the domain (`domain.clearance`) both import this module; it imports nothing of
the project, so neither the SOP package nor the domain reaches back into the other through it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, get_args


class Lane(StrEnum):
    """Selectivity lanes as in ASYCUDA."""

    green = "green"  # release
    yellow = "yellow"  # documentary check
    red = "red"  # physical (joint) inspection
    blue = "blue"  # release now, post-clearance audit


# How closely a lane looks at a consignment: moving to a lower one needs a supervisor.
LANE_SCRUTINY: dict[Lane, int] = {Lane.green: 0, Lane.blue: 1, Lane.yellow: 2, Lane.red: 3}


class Outcome(StrEnum):
    released = "released"
    referred = "referred"
    not_released = "not_released"
    invalidated = "invalidated"


# The notice a clearance ends with, per outcome (`/v1/clearances/{mrn}/documents/{kind}`).
NOTICE_FOR: dict[Outcome, str] = {
    Outcome.released: "release-notice",
    Outcome.referred: "referral-notice",
    Outcome.not_released: "not-released-notice",
    Outcome.invalidated: "invalidation-notice",
}


class Status(StrEnum):
    accepted = "accepted"
    in_progress = "in_progress"
    awaiting_decision = "awaiting_decision"
    completed = "completed"
    invalidated = "invalidated"


class TaskKind(StrEnum):
    screening_review = "screening_review"
    inspection_findings = "inspection_findings"
    approval = "approval"
    post_release_alert = "post_release_alert"
    exit_follow_up = "exit_follow_up"  # a released export whose exit was not confirmed in time


# The same kinds as a Literal, for schemas that list them inline (the SOP's `four_eyes`, reason codes' `kinds`).
TaskKindName = Literal["screening_review", "inspection_findings", "approval", "post_release_alert", "exit_follow_up"]
assert set(get_args(TaskKindName)) == {k.value for k in TaskKind}, "TaskKindName and TaskKind disagree"

TASK_OUTCOMES: dict[TaskKind, tuple[str, ...]] = {
    TaskKind.screening_review: ("false_positive", "confirmed_match"),
    TaskKind.inspection_findings: ("compliant", "non_compliant"),
    TaskKind.approval: ("approve", "reject", "refer"),
    TaskKind.post_release_alert: ("no_action", "refer_for_enforcement"),
    TaskKind.exit_follow_up: ("exit_confirmed", "not_exited"),
}

# What a supervisor's approval decides: approve lets the SOP go on, the others conclude the clearance.
APPROVAL_OUTCOMES: dict[str, Outcome | None] = {
    "approve": None,
    "reject": Outcome.not_released,
    "refer": Outcome.referred,
}


class TaskState(StrEnum):
    """A claimed task is still open; its `assignee` says who holds it (as in Camunda Tasklist)."""

    open = "open"
    completed = "completed"
    cancelled = "cancelled"


# A screened party: clear, or a possible match a review decides (false positive or confirmed).
ScreeningStatus = Literal["clear", "possible_match", "false_positive", "confirmed_match"]
# The joint inspection's consolidated result.
InspectionOutcome = Literal["compliant", "non_compliant", "cancelled"]
# What a re-screening after a list import did for one party of a clearance.
RescreenResult = Literal[
    "added_to_screening",
    "review_opened",
    "false_positive",
    "confirmed_match",
    "cancelled",
    "alert_raised",
    "no_action",
    "refer_for_enforcement",
]
