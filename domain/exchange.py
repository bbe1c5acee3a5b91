"""Cross-border exchange between customs administrations: the exchange agreements (which data set, which messages),
the data set an export notification carries (WCO Data Model names), the structured mutual-assistance request,
and the shapes of the messages and their delivery states.

Pure: no I/O beyond reading an agreements file, importable inside workflows (the worker passes `domain` through)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from domain.clearance import ClearanceSubject
from domain.declaration import Declaration

MessageKind = Literal[
    "export_notification",
    "acknowledgement",
    "control_result",
    "exit_confirmation",
    "mutual_assistance_request",
    "mutual_assistance_answer",
]
MESSAGE_KINDS: tuple[str, ...] = get_args(MessageKind)
Direction = Literal["out", "in"]
# pending → delivered → acknowledged | failed (sent); received | rejected (inbound, refused: bad or no signature)
DeliveryStatus = Literal["pending", "delivered", "acknowledged", "failed", "received", "rejected"]
ControlResult = Literal["no_irregularity", "irregularity"]
ExitStatus = Literal["awaiting_exit", "follow_up", "confirmed", "not_exited"]

# The data set fields an agreement may name, with WCO Data Model-aligned names (what a partner may receive).
DATA_SET_FIELDS: tuple[str, ...] = (
    "mrn",
    "declaration_type",
    "procedure",
    "exporter",
    "consignee",
    "end_user",
    "office_of_export",
    "office_of_exit",
    "country_of_destination",
    "transport",
    "goods_items",
    "release_date",
)
GOODS_ITEM_FIELDS = (
    "sequence",
    "commodity_code",
    "description",
    "origin_country",
    "net_mass_kg",
    "gross_mass_kg",
    "quantity",
    "statistical_value",
    "documents",
)

Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]


class ExchangeAgreement(BaseModel):
    """Between this administration and one partner, for the countries named: what data and which messages."""

    model_config = ConfigDict(extra="forbid")
    partner: str = Field(min_length=2, max_length=40)
    countries: list[str] = Field(min_length=1)
    data_set: list[str] = Field(min_length=1)
    messages: list[MessageKind] = Field(min_length=1)
    legal_basis: str | None = Field(default=None, max_length=400)

    @field_validator("data_set")
    @classmethod
    def _known_fields(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in DATA_SET_FIELDS]
        if unknown:
            raise ValueError(f"not fields of the export data set: {unknown}; known: {list(DATA_SET_FIELDS)}")
        return values

    @field_validator("countries")
    @classmethod
    def _upper(cls, values: list[str]) -> list[str]:
        return [v.upper() for v in values]

    def covers(self, partner: str, country: str) -> bool:
        return self.partner == partner and country.upper() in self.countries

    def allows(self, kind: str) -> bool:
        return kind in self.messages


def load_agreements(path: Path) -> list[ExchangeAgreement]:
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text()) or {}
    return [ExchangeAgreement.model_validate(item) for item in data.get("agreements", [])]


def agreement_with(
    agreements: list[ExchangeAgreement], partner: str, country: str | None = None
) -> ExchangeAgreement | None:
    for agreement in agreements:
        if agreement.partner == partner and (country is None or country.upper() in agreement.countries):
            return agreement
    return None


def export_data_set(declaration: Declaration, *, mrn: str, released_at: datetime, fields: list[str]) -> dict[str, Any]:
    """Exactly the fields the agreement names, from the declaration as lodged: never risk results, officers'
    notes, task assignments or the declarant's own references."""
    full = declaration.model_dump(mode="json")
    out: dict[str, Any] = {}
    for name in fields:
        if name == "mrn":
            out["mrn"] = mrn
        elif name == "release_date":
            out["release_date"] = released_at.date().isoformat()
        elif name == "goods_items":
            out["goods_items"] = [{k: item.get(k) for k in GOODS_ITEM_FIELDS} for item in full["goods_items"]]
        elif full.get(name) is not None:
            out[name] = full[name]
    return out


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line
    role: Line = Field(description="e.g. exporter, consignee, carrier, director")
    identifier: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None


class MutualAssistanceRequest(BaseModel):
    """A structured request for assistance (EU FTA protocols, Naples II): who asks, what measure, about what, on
    which legal provisions, the persons concerned, the facts and enquiries so far, and by when."""

    model_config = ConfigDict(extra="forbid")
    measure: Line = Field(description="the measure requested, e.g. verify the consignee's receipt of the goods")
    subject: Line = Field(description="the object of the request and its reason")
    legal_basis: Line
    persons: list[Person] = Field(default=[], max_length=20)
    facts: Note = Field(description="summary of the facts and the enquiries already made")
    deadline: datetime


class ControlResultRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    result: ControlResult
    note: Note | None = None


class AnswerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: Note
    findings: list[Line] = Field(default=[], max_length=50)


class ExitConfirmationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    office_of_exit: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}[A-Z0-9]{6}$")] | None = None
    exited_at: datetime | None = None
    note: Note | None = None


class Signature(BaseModel):
    alg: str = "EdDSA"
    key_id: str | None = None
    verified: bool = False


class FollowUp(BaseModel):
    """An exit not confirmed by its follow-up date: the task customs gets (`ExportExchange` started by the
    worker's exit sweeper, `activities/exits.py`)."""

    follow_up_at: datetime
    role: str = "customs_officer"
    due_seconds: float


class ExportExchangeInput(BaseModel):
    """What the exchange of a released clearance starts with: its notification (`ExchangeActivities.stage_release`,
    from the outcome's activity), the `ExportExchange` workflow of clearances released before `release-exchange`,
    and the follow-up of an exit past its date (`follow_up`)."""

    mrn: str
    agency: str
    released_at: datetime
    notify: ClearanceSubject | None = None
    follow_up: FollowUp | None = None


class ReleaseExchange(BaseModel):
    """What a release's `record_outcome` did for its exchange: the exit it follows from now (until confirmed or
    followed up), the export notification stored (None, with the reason) and how its first delivery went:
    `delivered`/`acknowledged`, `failed` (the partner refused it), or `redeliver` (unreachable: the clearance
    hands it to a durable `ExchangeDelivery`)."""

    message_id: str | None = None
    partner: str | None = None
    reason: str | None = None
    delivery: Literal["delivered", "acknowledged", "failed", "redeliver"] | None = None


class ComposeResult(BaseModel):
    """How the exchange of a released export goes: the follow-up period (from settings, so it is in history) and
    the export notification stored for sending (None, with the reason: no partner or agreement)."""

    follow_up_seconds: float
    follow_up_due_seconds: float
    follow_up_role: str = "customs_officer"
    message_id: str | None = None
    partner: str | None = None
    reason: str | None = None


class ExitRecord(BaseModel):
    mrn: str
    status: ExitStatus
    follow_up_at: datetime | None = None
    confirmed_at: datetime | None = None
    confirmed_by: str | None = None
    office_of_exit: str | None = None
    note: str | None = None
    task_id: str | None = None


class ConfirmExit(ExitConfirmationRequest):
    """The Update the exchange workflow takes: the request and who records it."""

    actor_id: str
    actor_agency: str


class FailDelivery(BaseModel):
    message_id: str
    reason: str


def message_id(mrn: str, kind: str, nonce: str = "") -> str:
    """Deterministic for a clearance's own messages (a retried activity composes the same one)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"clearance-exchange:{mrn}:{kind}:{nonce}"))


def exchange_workflow_id(mrn: str) -> str:
    return f"exchange-{mrn}"


def delivery_workflow_id(message: str) -> str:
    return f"exchange-delivery-{message}"


EXCHANGE_AUDIT_BASE = 2_000_000_000  # audit sequence numbers of exchange events (below PostgreSQL's int4 limit)


def audit_seq(message: str, event: str) -> int:
    """A stable sequence number per (message, event): a retried write logs it once (the audit log dedups)."""
    digest = hashlib.sha256(f"{message}:{event}".encode()).digest()
    return EXCHANGE_AUDIT_BASE + int.from_bytes(digest[:4], "big") % 100_000_000
