"""Where the clearance's interpreter is, beyond what its view shows: read and set by the step runners, the
officers' Updates and the endings (all deterministic state of one workflow run)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.clearance import Invalidate, LicenceCheckResult
from domain.vocabulary import Outcome
from sop.model import InspectionStep

# What a step decided: the clearance's outcome and the reason it rests on, or None to go on.
Decided = tuple[Outcome, str] | None


class Invalidated(Exception):
    """Unwinds the interpreter when the declarant invalidates the declaration."""


class Rerouted(Exception):
    """Unwinds the current step when an officer moves the clearance to another lane."""


@dataclass
class Progress:
    task_number: int = 0
    invalidation: Invalidate | None = None
    # licences depleted by the licence check: an ending without release gives them back
    depleted: bool = False
    # the licence check run by the screening activity (the green lane's common path) and when it finished
    prefetched_licences: LicenceCheckResult | None = None
    prefetched_finished_at: datetime | None = None
    # Officers' actions: a re-route restarts interpretation after the risk step; steps already done stay done.
    rerouted: bool = False
    resume_at: int = 0
    done_steps: set[str] = field(default_factory=set)
    decided: tuple[Outcome, str] | None = None
    inspection_step: InspectionStep | None = None
    inspections_started: int = 0
