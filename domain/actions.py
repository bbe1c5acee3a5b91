"""People's actions, one family each: the request the API (and the console's form) parses, and the workflow command
that adds who acts (`class Reroute(RerouteRequest): actor: Actor`). Shared field types are named once.

A command is what an Update's history records, so its serialised shape stays as recorded (`tests/histories` must
replay): a command may accept more than its request (`CompleteTask` takes the findings as recorded; the joint
inspection's rules judge them in the validator, and replay must not re-judge them with rules added later).
Pydantic models, passed through the workflow sandbox with `domain`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from domain.inspection import Findings
from domain.vocabulary import Lane

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
"""Why someone acts: required, at most 2000 characters, surrounding whitespace dropped."""
RecordedReason = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
"""A reason as a command carries it: as sent (the validator refuses a blank one by name, field `reason`)."""
Note = Annotated[str, StringConstraints(max_length=2000)]
MAX_COMMENTS_PER_TASK = 100
MAX_COMMENT_CHARS = 2000
CommentText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_COMMENT_CHARS)]
# The API allows MAX_COMMENT_CHARS; the wire type stays wider so histories recorded before the cap replay.
RecordedCommentText = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
PrincipalId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Place = Annotated[str, StringConstraints(min_length=1, max_length=200)]
AgencyId = Annotated[str, StringConstraints(min_length=1, max_length=40)]
LIST_NAME = r"^[a-z0-9][a-z0-9-]{1,62}$"
ListName = Annotated[str, StringConstraints(pattern=LIST_NAME)]
"""A screening list's name: 2-63 lowercase letters, digits and hyphens."""

LATEST_APPOINTMENT = datetime(9000, 1, 1, tzinfo=UTC)


def _in_the_calendar(at: datetime) -> datetime:
    """An appointment is shown and rendered in UTC: one that has no UTC time (9999-12-31T23:59-23:59) or lies
    thousands of years ahead would break every page and notice that shows it."""
    try:
        utc = at.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time has no UTC equivalent in the calendar") from None
    if utc >= LATEST_APPOINTMENT:
        raise ValueError(f"the time must be before {LATEST_APPOINTMENT.year}")
    return at


InspectionTime = Annotated[AwareDatetime, AfterValidator(_in_the_calendar)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Actor(Model):
    """Who acts, as the API authenticated them; validators re-check roles and four-eyes against it."""

    id: str
    name: str
    agency: str
    roles: list[str]
    eori: str | None = None


# --- the declarant ---------------------------------------------------------------------------------------


class InvalidationRequest(Model):
    reason: Reason


class Invalidate(InvalidationRequest):
    actor: Actor
    reason: RecordedReason  # type: ignore[assignment]


# --- officers' actions on a clearance --------------------------------------------------------------------


class RerouteRequest(Model):
    lane: Lane
    reason: Reason


class Reroute(RerouteRequest):
    """Move the clearance to another lane before its outcome; the steps after the risk step follow the new lane."""

    actor: Actor
    reason: RecordedReason  # type: ignore[assignment]


class HoldRequest(Model):
    reason: Reason


class PlaceHold(HoldRequest):
    actor: Actor
    reason: RecordedReason  # type: ignore[assignment]


class ReleaseHold(HoldRequest):
    actor: Actor
    reason: RecordedReason  # type: ignore[assignment]


class ScheduleRequest(Model):
    at: InspectionTime = Field(description="when the inspection takes place (RFC 3339 with an offset)")
    place: Place = Field(description="where, e.g. the warehouse or examination bay")
    agencies: list[AgencyId] | None = Field(
        default=None, max_length=20, description="participating agencies (of the SOP's); all of them if absent"
    )
    note: Note | None = None


class ScheduleInspection(ScheduleRequest):
    actor: Actor


# --- human tasks -----------------------------------------------------------------------------------------


class TaskCommand(Model):
    task_id: str
    actor: Actor


class ClaimTask(TaskCommand):
    pass


class UnclaimTask(TaskCommand):
    pass


def _well_formed_findings(findings: dict[str, Any] | None) -> dict[str, Any] | None:
    """Checked against `Findings` here, so every problem comes back at once with its path; passed on as sent."""
    if findings is not None:
        Findings.model_validate(findings)
    return findings


class CompletionRequest(Model):
    outcome: str = Field(min_length=1, max_length=40)
    reason: Reason
    reason_code: str | None = Field(default=None, max_length=32, description="one of the task's `reason_codes`")
    findings: Annotated[dict[str, Any] | None, AfterValidator(_well_formed_findings)] = Field(
        default=None,
        description="an inspection's structured findings: `seals_checked`, `seal_numbers`, `counts` "
        "[{item_sequence, counted}], `discrepancies`, `evidence`, `note`; required (with what was checked) for "
        "`compliant`",
    )
    confirm_deviation: bool = Field(
        default=False,
        description="record a count beyond the task's `tolerance_pct` as compliant anyway (the clearance is then "
        "referred by the joint inspection); without it such a completion is refused with 422",
    )


class CompleteTask(CompletionRequest, TaskCommand):
    """As recorded: the validator (not decoding) judges the reason and the findings, so replay never re-judges."""

    outcome: str  # type: ignore[assignment]
    reason: str = Field(default="", max_length=2000)  # type: ignore[assignment]
    findings: dict[str, Any] | None = None  # type: ignore[assignment]


class HandOverRequest(Model):
    to: PrincipalId = Field(description="id of the principal who takes the task")
    reason: Reason


class HandOverTask(TaskCommand):
    """Reassign (a supervisor, or the role a task was escalated to) or delegate (the assignee) a task to another
    holder of its role; `to` is the request's principal, resolved."""

    to: Actor
    reason: RecordedReason
    delegation: bool = False


class CommentRequest(Model):
    text: CommentText


class CommentTask(CommentRequest, TaskCommand):
    text: RecordedCommentText  # type: ignore[assignment]  # the validator caps it at MAX_COMMENT_CHARS
