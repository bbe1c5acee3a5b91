"""The SOP schema. A YAML file under `sop/<name>/v<version>.yaml` validates against `SopDefinition`;
the whole definition travels in each clearance's workflow input, so a running clearance never sees a later edit.

`make sop-schema` writes the JSON Schema of this model to `sop/schema.json` for editors.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from domain.roles import Role
from domain.vocabulary import Lane, Outcome, TaskKindName

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
SopName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,62}$")]
Expression = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Durations the interpreter adds to workflow time: bounded, so that no due date can leave the calendar.
MAX_DURATION = timedelta(days=3650)
Duration = Annotated[timedelta, Field(ge=timedelta(0), le=MAX_DURATION)]


class Escalation(Frozen):
    """When a task is still open at its due date, a reminder is recorded; `after` the due date it moves to `to`."""

    after: Duration = Field(description="ISO 8601 duration after the due date, e.g. PT2H (at most 10 years)")
    to: Role


class TaskSpec(Frozen):
    role: Role
    due: Duration = Field(description="ISO 8601 duration from task creation to due date, e.g. PT4H (at most 10 years)")
    description: str = ""
    escalation: Escalation | None = None


class StepBase(Frozen):
    id: Identifier
    title: str
    description: str = ""
    when: Expression | None = Field(default=None, description="CEL condition; the step runs only when true")


class ScreeningStep(StepBase):
    kind: Literal["screening"] = "screening"
    review_threshold: Annotated[float, Field(ge=50, le=100)] = 88.0
    review: TaskSpec
    on_confirmed_match: Outcome = Outcome.referred


class LicenceCheckStep(StepBase):
    kind: Literal["licence_check"] = "licence_check"
    on_embargo: Outcome = Outcome.not_released
    on_missing_licence: Outcome = Outcome.not_released


class RiskRule(Frozen):
    id: Identifier
    when: Expression
    lane: Lane
    reason: str


class RandomSelection(Frozen):
    rate: Annotated[float, Field(ge=0, le=1)]
    aeo_rate: Annotated[float, Field(ge=0, le=1)]
    lane: Lane = Lane.red
    applies_to: list[Lane] = Field(default=[Lane.green], description="lanes that random selection may override")


class RiskStep(StepBase):
    kind: Literal["risk"] = "risk"
    rules: list[RiskRule] = Field(description="first matching rule sets the lane")
    default_lane: Lane = Lane.green
    random_selection: RandomSelection | None = None


class InspectionAgency(Frozen):
    agency: Identifier
    role: Role
    title: str


class InspectionStep(StepBase):
    kind: Literal["inspection"] = "inspection"
    due: Duration
    agencies: Annotated[list[InspectionAgency], Field(min_length=1)]
    on_non_compliant: Outcome = Outcome.referred
    escalation: Escalation | None = None
    quantity_tolerance_pct: Annotated[float, Field(ge=0, le=100)] = Field(
        default=0.0,
        description="a counted quantity within this percentage of the declared one is released with a note; "
        "beyond it the consolidated result is non-compliant whatever the agencies said",
    )


class ApprovalStep(StepBase):
    kind: Literal["approval"] = "approval"
    task: TaskSpec


Step = Annotated[
    ScreeningStep | LicenceCheckStep | RiskStep | InspectionStep | ApprovalStep,
    Field(discriminator="kind"),
]


class ReasonCode(Frozen):
    """A controlled reason an officer picks when completing a task (free text still goes with it)."""

    code: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{1,31}$")]
    title: str
    kinds: list[TaskKindName]
    outcomes: list[str] | None = Field(default=None, description="outcomes it applies to; all when omitted")


class SopSettings(Frozen):
    four_eyes: list[TaskKindName] = Field(
        default=["approval"],
        description="task kinds whose completer must not have completed any other task of the clearance",
    )
    reason_codes: list[ReasonCode] = Field(
        default=[], description="when a task kind has codes, completing it takes one that fits the outcome"
    )
    reason_code_required: bool = Field(
        default=True, description="whether a task kind with codes may be completed without one (free text only)"
    )


MAX_SOP_VERSION = 999_999  # fits every database's integer column


class SopDefinition(Frozen):
    name: SopName
    version: Annotated[int, Field(ge=1, le=MAX_SOP_VERSION)]
    title: str
    summary: str = ""
    agency: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9-]{1,39}$")]
    declaration_types: list[Literal["EX", "EU", "CO"]] = ["EX", "EU", "CO"]
    settings: SopSettings = SopSettings()
    steps: Annotated[list[Step], Field(min_length=1)]

    @model_validator(mode="after")
    def _well_formed(self) -> SopDefinition:
        ids = [s.id for s in self.steps]
        if len(ids) != len(set(ids)):
            raise ValueError("step ids must be unique")
        kinds = [s.kind for s in self.steps]
        for kind in ("screening", "licence_check", "risk"):
            if kinds.count(kind) != 1:
                raise ValueError(f"an SOP needs exactly one '{kind}' step")
        if kinds.index("risk") < kinds.index("licence_check"):
            raise ValueError("the risk step must come after the licence check (rules may use `controlled`)")
        for step in self.steps:
            if step.kind in ("inspection", "approval") and kinds.index("risk") > ids.index(step.id):
                raise ValueError(f"step '{step.id}' must come after the risk step")
        return self

    def content_hash(self) -> str:
        """Hash of what the author wrote: defaults are left out, so a schema that gains an optional setting
        leaves the hashes of published versions as they were."""
        return hashlib.sha256(self.model_dump_json(exclude_defaults=True).encode()).hexdigest()

    def step(self, kind: str) -> Step | None:
        return next((s for s in self.steps if s.kind == kind), None)

    def expressions(self) -> list[tuple[str, str]]:
        """(where, expression) for every CEL expression in the definition."""
        found: list[tuple[str, str]] = []
        for step in self.steps:
            if step.when:
                found.append((f"steps.{step.id}.when", step.when))
            if isinstance(step, RiskStep):
                found.extend((f"steps.{step.id}.rules.{r.id}.when", r.when) for r in step.rules)
        return found


class SopRef(Frozen):
    name: str
    version: int
    hash: str


class PublishedSop(Frozen):
    ref: SopRef
    published_at: datetime
    definition: SopDefinition
