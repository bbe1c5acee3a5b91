"""Interpreter generations: which `workflow.patched()` questions a clearance needs to ask.

Every change to the interpreter that alters the commands of a recorded history stays behind `workflow.patched()`.
A patch asked in a new execution answers True and records a marker, plus an upsert of the `TemporalChangeVersion`
search attribute (a visibility write on the server): the green lane asked three and paid for six events and
three visibility writes per clearance for answers that are always True for a clearance started on today's code.

So a clearance started on generation N (`ClearanceInput.interpreter`, set by the API at acceptance) takes every
patch of generations 1..N as in effect, without asking; a clearance started before generations (interpreter 0,
the recorded histories among them) asks Temporal as before, so its history replays unchanged. A patch added after
a generation is asked by every clearance until a later generation lists it. An input is never re-interpreted:
the field is in the workflow's start event, so replay takes the same branch. A worker older than the field
refuses such an input (the models forbid unknown fields) and its workflow task is retried on a newer worker.
"""

from __future__ import annotations

from temporalio import workflow

from domain.clearance import INTERPRETER_GENERATION
from workflows.endings import EXPORT_EXCHANGE_PATCH, RELEASE_EXCHANGE_PATCH
from workflows.parking import AGENCY_PARKING_PATCH
from workflows.rescreen_hits import RESCREEN_PATCH
from workflows.standing import STANDING_PATCH

GENERATIONS: dict[int, frozenset[str]] = {
    1: frozenset({STANDING_PATCH, AGENCY_PARKING_PATCH, RESCREEN_PATCH, RELEASE_EXCHANGE_PATCH, EXPORT_EXCHANGE_PATCH}),
}
assert max(GENERATIONS) == INTERPRETER_GENERATION


def patched(interpreter: int, patch_id: str) -> bool:
    """`workflow.patched(patch_id)` for a clearance of generation `interpreter`."""
    if any(patch_id in GENERATIONS[g] for g in range(1, interpreter + 1)):
        return True
    return workflow.patched(patch_id)
