"""Each agency's standing on a clearance, and which agency owns which decision: derived here, in one place.

A clearance is a case several agencies take part in (as in US ACE, where every partner agency answers "may proceed"
or places a hold per entry): customs always, the export-control authority when the goods are controlled or one of
its officers has to decide something on it (a screening review, its part of the joint inspection). Each party has a
`status`: `pending` until it has decided, `may_proceed`, `hold` (one of its officers holds the clearance) or
`refused` (it found the goods non-compliant or a party on a list; the clearance is referred). Customs releases only
when every party may proceed.

Which agency a task belongs to follows from the role that decides it: the export-control officer's tasks are the
export-control authority's, every other task is the clearance's customs administration's. The SOP's inspection
step names each participant by kind (`customs`, `export_control`); `parties` maps a kind to the registry's agency
for the clearance's country (resolved at acceptance and carried in the workflow input, so a workflow never reads
the registry). A clearance accepted before parties existed has none: everything stays with the SOP's agency.

Pure and deterministic (imported inside workflows).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

StandingStatus = Literal["pending", "may_proceed", "hold", "refused"]
STANDING_STATUSES: tuple[str, ...] = get_args(StandingStatus)

CUSTOMS = "customs"
EXPORT_CONTROL = "export_control"

# The roles whose decisions belong to an agency other than the clearance's customs administration.
ROLE_KINDS: dict[str, str] = {"export_control_officer": EXPORT_CONTROL}

# Task outcomes by which the deciding agency refuses the clearance (it ends in referral); any other completed
# outcome lets it proceed.
REFUSING_OUTCOMES = frozenset({"confirmed_match", "non_compliant", "refer_for_enforcement"})


class AgencyStanding(BaseModel):
    """One agency's standing on a clearance (`agencies` in the view)."""

    model_config = ConfigDict(extra="forbid")
    agency: str
    kind: str
    status: StandingStatus = "pending"
    decided_at: datetime | None = None
    by: str | None = None
    reason: str | None = None


Parties = Mapping[str, str]  # agency kind -> agency id, e.g. {"customs": "DEMO-CUSTOMS", "export_control": ...}


def kind_for_role(role: str) -> str:
    """The kind of agency that owns a decision taken by `role`."""
    return ROLE_KINDS.get(role, CUSTOMS)


def agency_of_kind(parties: Parties, kind: str, default: str) -> str:
    """The party of `kind`; `default` (the SOP's agency) when the clearance has no such party."""
    return parties.get(kind) or default


def task_agency(parties: Parties, role: str, default: str, kind: str | None = None) -> str:
    """The agency a task for `role` belongs to (`kind`: the SOP names the participant's kind, as the inspection
    step does)."""
    return agency_of_kind(parties, kind or kind_for_role(role), default)


def kind_of(parties: Parties, agency: str) -> str:
    return next((k for k, a in parties.items() if a == agency), CUSTOMS)


def status_after(outcome: str | None) -> StandingStatus:
    """The standing a completed task leaves its agency in."""
    return "refused" if outcome in REFUSING_OUTCOMES else "may_proceed"


def blocking(standings: list[AgencyStanding], customs: str) -> list[AgencyStanding]:
    """The parties other than customs that do not (yet) let the clearance be released."""
    return [s for s in standings if s.agency != customs and s.status != "may_proceed"]


def refusals(standings: list[AgencyStanding]) -> list[AgencyStanding]:
    return [s for s in standings if s.status == "refused"]
