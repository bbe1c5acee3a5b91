"""Types that cross the Temporal boundary: workflow input, activity inputs/results, task state, the view.

Pydantic models, sent with Temporal's pydantic data converter; the workflow sandbox passes this module through.
"""

from __future__ import annotations

import builtins
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.actions import (  # noqa: F401 (the actions' families, where the workflows and tests import them)
    LATEST_APPOINTMENT,
    MAX_COMMENT_CHARS,
    MAX_COMMENTS_PER_TASK,
    Actor,
    ClaimTask,
    CommentTask,
    CompleteTask,
    HandOverTask,
    InspectionTime,
    Invalidate,
    PlaceHold,
    ReleaseHold,
    Reroute,
    ScheduleInspection,
    UnclaimTask,
)
from domain.declaration import Declaration
from domain.inspection import QuantityCheck
from domain.standing import AgencyStanding
from domain.trade import TradeStanding
from domain.vocabulary import TASK_OUTCOMES as TASK_OUTCOMES  # re-exported: the kinds' outcomes, defined there
from domain.vocabulary import (
    InspectionOutcome,
    Lane,
    Outcome,
    RescreenResult,
    ScreeningStatus,
    Status,
    TaskKind,
    TaskState,
)
from sop.model import Escalation, InspectionAgency, ReasonCode, SopDefinition, SopRef


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Rejection(StrEnum):
    """ApplicationError types a workflow's update validators raise; the API maps them to HTTP statuses."""

    not_found = "NotFound"  # 404
    forbidden = "Forbidden"  # 403
    conflict = "Conflict"  # 409
    invalid = "Invalid"  # 422


# --- screening -------------------------------------------------------------------------------------------


class ScreeningMatch(Model):
    list: str
    entry_id: str
    name: str
    score: float
    matched_alias: str | None = None
    programs: builtins.list[str] = []
    country: str | None = None


class SuppressedMatch(Model):
    """A match not sent to review because an officer recorded it as a known false positive for this party."""

    list: str
    entry_id: str
    false_positive_id: str
    name: str | None = None
    score: float | None = None


class PartyScreening(Model):
    role: str
    name: str
    country: str | None = None
    status: ScreeningStatus = "clear"
    matches: list[ScreeningMatch] = []
    suppressed: list[SuppressedMatch] = []
    review_task_id: str | None = None


ListRevisions = dict[str, int]


class ScreenPartiesInput(Model):
    mrn: str
    declaration: Declaration
    review_threshold: float
    list_revisions: ListRevisions = Field(
        default={}, description="screen against at least these list revisions (pinned at acceptance)"
    )
    agency: str | None = Field(default=None, description="whose register of known false positives applies")
    also_registers: list[str] = Field(
        default=[],
        description="other agencies whose registers apply too: the export-control authority's, whose "
        "officers decide the possible matches",
    )
    then_check_licences: CheckLicencesInput | None = Field(
        default=None,
        description="when every party is clear, run the licence check (the next step) in the same "
        "activity: the green lane's common path saves a local activity",
    )


class ScreeningResult(Model):
    parties: list[PartyScreening]
    list_revisions: ListRevisions = Field(
        default={}, description="the list revisions the parties were screened against"
    )
    screened_at: datetime | None = None
    finished_at: datetime | None = Field(default=None, description="end of the activity, after a licence check it ran")
    licences: LicenceCheckResult | None = None


# --- licences --------------------------------------------------------------------------------------------


class ItemLicence(Model):
    sequence: int
    commodity_code: str
    control_code: str | None
    control_source: Literal["declared", "commodity_table"] | None = None
    declared_control_code: str | None = Field(default=None, description="the code the declaration stated, if any")
    table_control_code: str | None = Field(default=None, description="the control list's code for the commodity")
    status: Literal["not_controlled", "covered", "no_licence"]
    licence_reference: str | None = None
    depleted_quantity: Decimal | None = None
    depleted_value: Decimal | None = None
    reason: str | None = None
    restored_at: datetime | None = Field(default=None, description="when a depletion was given back to the licence")
    restore_reason: str | None = Field(default=None, description="why it was given back")


class CheckLicencesInput(Model):
    mrn: str
    declaration: Declaration
    on: date = Field(description="date the licence must be valid on: the day of acceptance")


class LicenceCheckResult(Model):
    embargoed: bool
    embargo_reason: str | None = None
    items: list[ItemLicence]

    @property
    def controlled(self) -> bool:
        return any(i.control_code for i in self.items)

    @property
    def all_covered(self) -> bool:
        return all(i.status != "no_licence" for i in self.items)


ScreenPartiesInput.model_rebuild()
ScreeningResult.model_rebuild()


class ReleaseDepletionsInput(Model):
    mrn: str
    reason: str


# --- tasks -----------------------------------------------------------------------------------------------


class TaskComment(Model):
    at: datetime
    by: str
    text: str


class Task(Model):
    id: str
    mrn: str
    workflow_id: str
    kind: TaskKind
    role: str
    agency: str
    title: str
    state: TaskState = TaskState.open
    assignee: str | None = None
    due_at: datetime
    created_at: datetime
    completed_at: datetime | None = None
    completed_by: str | None = None
    outcome: str | None = None
    reason: str | None = None
    findings: dict[str, Any] | None = None
    subject: dict[str, Any] = {}
    reason_code: str | None = None
    reason_codes: list[ReasonCode] = Field(default=[], description="the SOP's codes for this task kind")
    reason_code_required: bool = Field(default=True, description="whether completing it needs one of the codes")
    comments: list[TaskComment] = []
    delegated_by: str | None = None
    escalation: Escalation | None = None
    overdue: bool = False
    escalated_from: str | None = Field(default=None, description="the role the task had before it was escalated")
    tolerance_pct: float | None = Field(
        default=None, description="an inspection's quantity tolerance from the SOP, in per cent of the declared"
    )
    version: int = 1


class CommentAdded(Model):
    """What a comment Update answers: the new comment and how many the task has, never the earlier ones (an Update's
    result is kept in history, so answering with all comments would grow it quadratically)."""

    task_id: str
    comment: TaskComment
    count: int


class Hold(Model):
    """A clearance on hold moves to no further step and to no outcome until the hold is released."""

    by: str
    reason: str
    at: datetime
    agency: str | None = Field(default=None, description="the agency whose officer placed it (its standing is hold)")


class InspectionSchedule(Model):
    at: datetime
    place: str
    agencies: list[str]
    note: str | None = None
    scheduled_by: str
    scheduled_at: datetime


# --- joint inspection ------------------------------------------------------------------------------------


class ClearanceSubject(Model):
    """What a webhook event says about its clearance."""

    mrn: str
    lrn: str
    agency: str
    declarant_eori: str
    status: str
    lane: str | None = None
    outcome: str | None = None


class InspectionInput(Model):
    mrn: str
    parent_workflow_id: str
    agency: str
    step_id: str
    title: str
    agencies: list[InspectionAgency]
    due: timedelta
    first_task_number: int
    four_eyes: list[str] = []
    reason_codes: list[ReasonCode] = []
    reason_code_required: bool = True
    escalation: Escalation | None = None
    quantity_tolerance_pct: float = 0.0
    declared_quantities: dict[int, Decimal] = {}
    prior_completers: dict[str, str] = Field(default={}, description="task id -> who completed it")
    subject: dict[str, Any] = {}
    notify: ClearanceSubject | None = None
    parties: dict[str, str] = Field(default={}, description="agency kind -> agency id: whose each task is")


class AgencyFinding(Model):
    agency: str
    task_id: str
    outcome: str
    reason: str
    findings: dict[str, Any] | None = None
    completed_by: str
    completed_at: datetime


class InspectionResult(Model):
    outcome: InspectionOutcome
    findings: list[AgencyFinding]
    notes: list[str] = Field(default=[], description="why the consolidated outcome is what it is")
    quantity_tolerance_pct: float | None = Field(default=None, description="the SOP's tolerance for counted quantities")
    quantity_checks: list[QuantityCheck] = Field(
        default=[], description="each counted quantity that differs from the declared one, against the tolerance"
    )


# --- the clearance ---------------------------------------------------------------------------------------


# What new clearances start on (ClearanceInput.interpreter): a clearance of generation N takes every workflow patch of
# generations 1..N as in effect without asking Temporal (workflows/versions.py); each ask is a marker and a
# TemporalChangeVersion upsert in its history, a visibility write on the server.
INTERPRETER_GENERATION = 1


class ClearanceInput(Model):
    mrn: str
    lrn: str
    declarant_eori: str
    body_hash: str
    accepted_at: datetime
    declaration: Declaration
    sop: SopDefinition
    sop_ref: SopRef
    list_revisions: ListRevisions = Field(
        default={}, description="every screening list's revision at acceptance: screening uses at least these"
    )
    parties: dict[str, str] = Field(
        default={},
        description="agency kind -> the registry's agency for the clearance's country (domain/standing.py); "
        "empty for clearances accepted before agencies were parties",
    )
    trade: TradeStanding | None = Field(
        default=None, description="representation and AEO status from the registers at acceptance"
    )
    interpreter: int = Field(
        default=0,
        ge=0,
        le=INTERPRETER_GENERATION,
        description="the interpreter generation the clearance started on (workflows/versions.py): 0 for one "
        "accepted before generations, which asks Temporal for every patch",
    )


class TimelineEntry(Model):
    stage: str
    started_at: datetime
    ended_at: datetime | None = None
    actor: str | None = None


class Decision(Model):
    at: datetime
    stage: str
    kind: str
    outcome: str
    actor: str | None = None
    reason: str | None = None
    task_id: str | None = None


class AuditEvent(Model):
    seq: int
    at: datetime
    kind: str
    actor: str | None = None
    detail: dict[str, Any] = {}


class RescreenEntry(Model):
    """A list import that found a new possible match for a party of this clearance (delta screening)."""

    list: str
    revision: int
    at: datetime
    party: str = Field(description="the party's role in the declaration")
    entries: builtins.list[str] = Field(description="entry ids of the list that newly match")
    result: RescreenResult
    task_id: str | None = None


class DocumentRef(Model):
    kind: str
    href: str


class ClearanceView(Model):
    """What the read model stores and GET /v1/clearances/{mrn} returns; built by the workflow."""

    mrn: str
    lrn: str
    workflow_id: str
    declarant_eori: str
    agency: str
    status: Status
    stage: str
    lane: Lane | None = None
    lane_reason: str | None = None
    outcome: Outcome | None = None
    outcome_reason: str | None = Field(default=None, description="the finding or decision the outcome rests on")
    sop: SopRef
    declaration: Declaration
    trade: TradeStanding | None = Field(default=None, description="representation and AEO status that applied")
    screening: ScreeningResult | None = None
    licences: LicenceCheckResult | None = None
    inspection: InspectionResult | None = None
    decisions: list[Decision] = []
    timeline: list[TimelineEntry] = []
    documents: list[DocumentRef] = []
    hold: Hold | None = Field(default=None, description="set while the clearance is on hold")
    inspection_schedule: InspectionSchedule | None = None
    rescreening: list[RescreenEntry] = Field(default=[], description="re-screenings after list imports")
    agencies: list[AgencyStanding] = Field(default=[], description="each agency's standing on the clearance")
    accepted_at: datetime
    updated_at: datetime
    revision: int = 0


class ClearanceResult(Model):
    """What a clearance workflow returns when it ends: how it ended. The whole view is the read model's (GET
    /v1/clearances/{mrn}) and the workflow's `view` query's; returning it too had every clearance encode, seal and
    store it a second time in its history."""

    mrn: str
    status: Status
    outcome: Outcome | None = None
    lane: Lane | None = None
    revision: int

    @classmethod
    def of(cls, view: ClearanceView) -> ClearanceResult:
        return cls(mrn=view.mrn, status=view.status, outcome=view.outcome, lane=view.lane, revision=view.revision)


class ProjectionInput(Model):
    """One idempotent write of the read model: the view at `revision`, new audit events, changed tasks."""

    view: ClearanceView
    audit: list[AuditEvent] = []
    tasks: list[Task] = []


class TaskProjectionInput(Model):
    tasks: list[Task]
    audit_mrn: str
    audit: list[AuditEvent] = []
    notify: ClearanceSubject | None = Field(default=None, description="whose webhooks hear of these tasks")


class RecordOutcomeInput(Model):
    """The final write of a clearance: its notice, rendered from the view, and the view itself, together."""

    projection: ProjectionInput
    notice: str
    # a release since `release-exchange`: the same activity records the exit awaited and notifies the partner
    exchange: bool = False
