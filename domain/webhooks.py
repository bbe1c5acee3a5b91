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
TIMESTAMP_HEADER = "X-Clearance-Timestamp"
DELIVERY_HEADER = "X-Clearance-Delivery"
EVENT_HEADER = "X-Clearance-Event"
SIGNATURE_SCHEME = "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, '<t>.<delivery id>.' + raw body)>"
# Receivers should refuse a delivery whose timestamp is further than this from their clock (and dedupe on its id).
TIMESTAMP_TOLERANCE_SECONDS = 300


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


def signed_content(timestamp: int, delivery: str, body: bytes) -> bytes:
    return f"{timestamp}.{delivery}.".encode() + body


def sign(secret: str, timestamp: int, delivery: str, body: bytes) -> str:
    """`t=<unix>,v1=<hex>`: HMAC-SHA256 over "<t>.<delivery id>.<raw body>", so a captured delivery cannot be
    replayed later (stale t) or as another delivery (the id is signed); receivers compare with compare_digest."""
    mac = hmac.new(secret.encode(), signed_content(timestamp, delivery, body), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"
