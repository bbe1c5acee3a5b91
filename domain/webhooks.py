"""Clearance events for agencies' systems: which audit events become which webhook events, the payload, and the
HMAC signature receivers verify."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints, UrlConstraints

from domain.clearance import AuditEvent, ClearanceSubject, ClearanceView

EventName = Literal[
    "clearance.accepted",
    "task.created",
    "clearance.lane_assigned",
    "clearance.outcome",
    "clearance.invalidated",
    "clearance.hold_placed",
    "clearance.hold_released",
    "inspection.scheduled",
]
EVENTS: tuple[str, ...] = get_args(EventName)
FROM_AUDIT = {
    "accepted": "clearance.accepted",
    "task_created": "task.created",
    "lane_assigned": "clearance.lane_assigned",
    "outcome": "clearance.outcome",
    "invalidated": "clearance.invalidated",
    "hold_placed": "clearance.hold_placed",
    "hold_released": "clearance.hold_released",
    "inspection_appointment": "inspection.scheduled",
}
SIGNATURE_HEADER = "X-Clearance-Signature"


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Annotated[AnyHttpUrl, UrlConstraints(max_length=2000)]
    secret: Annotated[str, StringConstraints(min_length=16, max_length=200)]
    events: Annotated[
        list[EventName], Field(min_length=1, max_length=100), AfterValidator(lambda names: list(dict.fromkeys(names)))
    ] = Field(default_factory=lambda: list(get_args(EventName)))


def delivery_id(subscription_id: str, mrn: str, seq: int) -> str:
    return f"{subscription_id}:{mrn}:{seq}"


def subject_of(view: ClearanceView) -> ClearanceSubject:
    return ClearanceSubject(
        mrn=view.mrn,
        lrn=view.lrn,
        agency=view.agency,
        declarant_eori=view.declarant_eori,
        status=view.status.value,
        lane=view.lane.value if view.lane else None,
        outcome=view.outcome.value if view.outcome else None,
    )


def payload(event: str, audit: AuditEvent, subject: ClearanceSubject, delivery: str) -> dict[str, Any]:
    return {
        "id": delivery,
        "event": event,
        "occurred_at": audit.at.isoformat(),
        **subject.model_dump(exclude={"agency"}),
        "detail": json.loads(json.dumps(audit.detail, default=str)),
        "links": {"clearance": f"/v1/clearances/{subject.mrn}"},
    }


def sign(secret: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over the exact body bytes; receivers compare with hmac.compare_digest."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
