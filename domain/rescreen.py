"""Delta screening: what crosses the Temporal boundary when a list import re-screens clearances.

A `ListRescreen` workflow pages through the clearances that were screened on an older revision of the list; for
each one whose parties newly match an added or changed entry it sends a `RescreenHit` to the clearance (before
its outcome) or starts a `PostReleaseAlert` (released within the look-back period).
"""

from __future__ import annotations

import builtins  # the field "list" shadows the builtin inside RescreenHit
from datetime import datetime, timedelta

from pydantic import Field

from domain.clearance import ClearanceSubject, Model, RescreenEntry, ScreeningMatch

RESCREEN_HIT_SIGNAL = "rescreen_hit"
ALERT_ROLE = "export_control_officer"


def rescreen_workflow_id(list_name: str, revision: int) -> str:
    return f"rescreen-{list_name}-{revision}"


def alert_workflow_id(mrn: str, list_name: str, revision: int) -> str:
    return f"alert-{mrn}-{list_name}-{revision}"


class PartyHit(Model):
    role: str
    name: str
    country: str | None = None
    matches: list[ScreeningMatch] = Field(min_length=1)


class RescreenHit(Model):
    """New possible matches of one clearance's parties on one list revision."""

    list: str
    revision: int
    parties: builtins.list[PartyHit] = Field(min_length=1)


class RescreenInput(Model):
    list: str
    revision: int
    lookback_days: int = Field(default=30, ge=0)
    page_size: int = Field(default=200, ge=1, le=1000)
    cursor: str | None = Field(default=None, description="where a continued run picks up")
    released_since: datetime | None = Field(default=None, description="set by the first run from the look-back")
    scanned: int = 0
    signalled: int = 0
    alerts: int = 0


class RescreenPageInput(Model):
    list: str
    revision: int
    released_since: datetime = Field(description="released clearances from this moment on are looked at again")
    page_size: int = 200
    cursor: str | None = None


class ClearanceHit(Model):
    mrn: str
    workflow_id: str
    agency: str
    outcome: str | None
    subject: ClearanceSubject
    hit: RescreenHit
    alert_agency: str | None = Field(
        default=None, description="whose post-release alert it is: the export-control authority of its country"
    )


class RescreenPage(Model):
    hits: list[ClearanceHit] = []
    scanned: int = 0
    next_cursor: str | None = None


class RescreenSummary(Model):
    list: str
    revision: int
    scanned: int
    signalled: int
    alerts: int


class PostReleaseAlertInput(Model):
    mrn: str
    agency: str
    hit: RescreenHit
    role: str = ALERT_ROLE
    due: timedelta = timedelta(days=1)
    notify: ClearanceSubject | None = None


class RecordRescreenInput(Model):
    """Entries of a concluded clearance's `rescreening` list (its workflow has ended; the alert writes them)."""

    mrn: str
    entries: list[RescreenEntry]
