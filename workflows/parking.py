"""Agency calls that cannot complete park the clearance instead of retrying forever.

An agency that refuses a request (`AgencyRejected`, a 4xx) or stays unreachable for `AGENCY_PATIENCE` would
otherwise be retried until Temporal's history limit terminates the clearance. Instead the clearance goes on a
visible hold (`by: "system:agency"`, the reason, e.g. "licence registry refused: 400 ..."), status in_progress,
with an audit event `agency_call_failed`; releasing the hold (any officer who may release holds) runs the call
again. Clearances recorded before this existed keep their unbounded retry (`workflow.patched`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError, FailureError
from temporalio.exceptions import TimeoutError as TemporalTimeout

from domain.clearance import Hold, Status
from workflows.options import AGENCY_PATIENCE, AGENCY_REJECTED, run_agency, run_local

if TYPE_CHECKING:
    from workflows.journal import Journal
    from workflows.progress import Progress

AGENCY_PARKING_PATCH = "agency-call-parking"
AGENCY_HOLD = "system:agency"


def agency_failure(exc: FailureError, agency: str) -> str:
    """The hold's reason: the agency's refusal as it gave it, or how long it stayed away. (A local activity's
    failure arrives as the activity's own error, a remote one's wrapped in an ActivityError.)"""
    cause = exc.cause if isinstance(exc, ActivityError) else exc
    if isinstance(cause, ApplicationError) and cause.type == AGENCY_REJECTED:
        return cause.message[:300]
    if isinstance(cause, TemporalTimeout):
        return f"{agency} unreachable for {int(AGENCY_PATIENCE.total_seconds() // 60)} min"
    message = cause.message if isinstance(cause, FailureError) else str(cause or exc)
    return f"{agency} call failed: {message}"[:300]


class AgencyParking:
    """Mixin for the clearance: `_agency_call` in place of `run_local` for a step's call to an agency."""

    _journal: Journal
    _progress: Progress
    _rescreen_outcome: Any

    if TYPE_CHECKING:  # provided by the clearance workflow (stubs here would shadow them in the MRO)

        def _check_invalidated(self) -> None: ...

        def _patched(self, patch_id: str) -> bool: ...

    async def _agency_call(self, name: str, arg: Any, result_type: type, agency: str) -> Any:
        if not self._patched(AGENCY_PARKING_PATCH):
            return await run_local(name, arg, result_type)
        while True:
            try:
                return await run_agency(name, arg, result_type)
            except FailureError as exc:
                if isinstance(exc, CancelledError):
                    raise
                await self._park(name, agency_failure(exc, agency))

    async def _park(self, call: str, reason: str) -> None:
        journal = self._journal
        view = journal.view
        stage = view.stage
        journal.audit("agency_call_failed", None, call=call, reason=reason, stage=stage)
        if view.hold is None:  # an officer's hold already stops the clearance: releasing it retries
            view.hold = Hold(by=AGENCY_HOLD, reason=reason, at=workflow.now())
            journal.decide(stage, "hold", "placed", None, reason)
            journal.audit("hold_placed", None, reason=reason, stage=stage, placed_by=AGENCY_HOLD)
        workflow.logger.warning("clearance parked", extra={"reason": reason, "call": call})
        await journal.project(Status.in_progress)
        await workflow.wait_condition(
            lambda: view.hold is None or self._progress.invalidation is not None or self._rescreen_outcome is not None
        )
        self._check_invalidated()
