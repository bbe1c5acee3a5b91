"""Views by audience: what a clearance's declarant is shown, next to what officers of its agency see.

The declarant gets its declaration, the status, stage, lane and outcome, its documents, its licence check (its
exporter's own licences: the register only ever matches the exporter's), the trade standing that applied, and
what it must do now (`required_actions`); never the risk rules and reasons, screening hits, hold reasons,
officers' notes, findings, comments, decisions' internal text, who acted, or task assignments. The shaping is an
allowlist, so a field added to the view later stays internal until it is named here.

One place for every face: the API's clearance reads and `Prefer: wait` answers (`api/service/clearances.py`,
`api/clearance_access.py`) and the webhook deliveries to declarants' subscriptions (`activities/webhooks.py`).
The console is for staff only (`policy.STAFF`), so it always shows the officers' view."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain import policy

DECLARANT_FIELDS = (
    "mrn",
    "lrn",
    "declarant_eori",
    "agency",
    "status",
    "stage",
    "lane",
    "outcome",
    "sop",
    "declaration",
    "trade",
    "licences",
    "documents",
    "exit",  # whether the export has left the customs territory (the declarant must prove an exit otherwise)
    "exchange",  # always empty for a declarant (api/service/clearances.py): the administrations' messages
    "accepted_at",
    "updated_at",
    "revision",
    "links",
)
# What officers see and the declarant never does (the tests assert each one's absence).
INTERNAL_FIELDS = (
    "lane_reason",
    "outcome_reason",
    "screening",
    "inspection",
    "decisions",
    "hold",
    "tasks",
    "rescreening",
    "workflow_id",
)
SCHEDULE_FIELDS = ("at", "place", "agencies")  # not who scheduled it, not the officers' note
# Webhook event detail a declarant's subscription receives (an event not named here is not sent to it at all).
DECLARANT_EVENT_DETAIL: dict[str, tuple[str, ...]] = {
    "clearance.accepted": ("lrn", "sop"),
    "clearance.lane_assigned": ("lane",),
    "clearance.outcome": ("outcome",),
    "clearance.invalidated": ("reason",),  # the declarant's own reason
    "clearance.hold_placed": (),
    "clearance.hold_released": (),
    "inspection.scheduled": SCHEDULE_FIELDS,
}


def is_declarant_audience(who: policy.Who) -> bool:
    """Officers, auditors and administrators read the officers' view; anyone else reading a clearance is its
    declarant."""
    return not policy.is_reader(who)


def view_for(who: policy.Who, view: Mapping[str, Any]) -> dict[str, Any]:
    return declarant_view(view) if is_declarant_audience(who) else dict(view)


def declarant_view(view: Mapping[str, Any]) -> dict[str, Any]:
    shaped = {k: view[k] for k in DECLARANT_FIELDS if k in view}
    shaped["timeline"] = [
        {k: entry.get(k) for k in ("stage", "started_at", "ended_at")} for entry in view.get("timeline") or []
    ]
    schedule = view.get("inspection_schedule")
    shaped["inspection_schedule"] = {k: schedule.get(k) for k in SCHEDULE_FIELDS} if schedule else None
    shaped["on_hold"] = bool(view.get("hold"))
    shaped["required_actions"] = required_actions(view)
    return shaped


def required_actions(view: Mapping[str, Any]) -> list[str]:
    """What the declarant must do now, in its own terms."""
    outcome, status = view.get("outcome"), view.get("status")
    declaration = view.get("declaration") or {}
    schedule = view.get("inspection_schedule")
    actions: list[str] = []
    if outcome is None and status not in ("completed", "invalidated"):
        if schedule:
            actions.append(f"present the goods for inspection at {schedule.get('place')} on {schedule.get('at')}")
        elif view.get("lane") == "red":
            actions.append("keep the goods available for a physical inspection; the appointment follows")
        if view.get("hold"):
            actions.append("none until customs releases the hold; you may still invalidate the declaration")
        return actions
    if outcome == "released":
        actions.append(f"the goods may leave through the office of exit {declaration.get('office_of_exit')}")
    elif outcome == "not_released":
        licences = view.get("licences") or {}
        missing = [i for i in licences.get("items", []) if i.get("status") == "no_licence"]
        if licences.get("embargoed"):
            actions.append("the destination is under embargo: the goods may not be exported there")
        elif missing:
            items = ", ".join(str(i.get("sequence")) for i in missing)
            actions.append(f"obtain a valid export licence for goods item(s) {items} and lodge a new declaration")
        else:
            actions.append("the goods may not leave; see the not-released notice")
    elif outcome == "referred":
        actions.append("keep the goods available; the competent authority will contact you")
    return actions


def webhook_detail(event: str, detail: Mapping[str, Any], *, declarant: bool) -> dict[str, Any] | None:
    """The event detail for a subscription; None: a declarant's subscription does not receive this event."""
    if not declarant:
        return dict(detail)
    allowed = DECLARANT_EVENT_DETAIL.get(event)
    if allowed is None:
        return None
    return {k: detail[k] for k in allowed if k in detail}
