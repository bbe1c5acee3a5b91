"""How a clearance ends: the outcome (with the licences given back when it is not a release), an invalidation by
the declarant, or a match a re-screening review confirmed; each ends with one write of the notice and the final
view (`record_outcome`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio import workflow

from domain.clearance import ClearanceSubject, DocumentRef, RecordOutcomeInput, ReleaseDepletionsInput, Task
from domain.exchange import ExportExchangeInput, ReleaseExchange, delivery_workflow_id, exchange_workflow_id
from domain.vocabulary import NOTICE_FOR, Outcome, Status
from workflows import acts
from workflows.exchange import ExchangeDeliveryWorkflow, ExportExchangeWorkflow

EXPORT_EXCHANGE_PATCH = "export-exchange"  # an ExportExchange workflow per release (replayed for older histories)
RELEASE_EXCHANGE_PATCH = "release-exchange"  # the exchange in the outcome's activity, the exit in the store

if TYPE_CHECKING:
    from workflows.clearance import ClearanceWorkflow


async def finish(wf: ClearanceWorkflow, outcome: Outcome, reason: str) -> None:
    view, journal = wf._journal.view, wf._journal
    view.outcome, view.outcome_reason = outcome, reason
    journal.enter("outcome")
    journal.audit("outcome", None, outcome=outcome.value, reason=reason)
    if outcome != Outcome.released and wf._progress.depleted:
        restore_reason = f"{outcome.value}: {reason}"
        await acts.restore_licences(ReleaseDepletionsInput(mrn=wf._mrn, reason=restore_reason))
        mark_restored(wf, restore_reason)
    exchange = outcome == Outcome.released and wf._patched(RELEASE_EXCHANGE_PATCH)
    done = await record_outcome(wf, outcome, Status.completed, exchange=exchange)
    if exchange:
        await redeliver_if_needed(done)
    elif outcome == Outcome.released and wf._patched(EXPORT_EXCHANGE_PATCH):
        await start_export_exchange(wf)


def exchange_input(wf: ClearanceWorkflow) -> ExportExchangeInput:
    view = wf._journal.view
    return ExportExchangeInput(
        mrn=wf._mrn,
        agency=view.agency,
        released_at=workflow.now(),
        notify=ClearanceSubject(
            mrn=wf._mrn,
            lrn=view.lrn,
            agency=view.agency,
            declarant_eori=view.declarant_eori,
            status=Status.completed.value,
            lane=view.lane.value if view.lane else None,
            outcome=Outcome.released.value,
        ),
    )


async def redeliver_if_needed(done: ReleaseExchange | None) -> None:
    """A released export stays followed after the clearance completes, from the store rather than a workflow per
    release: the outcome's own local activity records the exit awaited (the worker's exit sweeper follows it up
    past its date), stores the signed export notification to the partner of the destination country and
    delivers it once. Only a partner out of reach costs a workflow: the message's durable `ExchangeDelivery`."""
    if done is not None and done.delivery == "redeliver" and done.message_id is not None:
        await workflow.start_child_workflow(
            ExchangeDeliveryWorkflow.run,
            done.message_id,
            id=delivery_workflow_id(done.message_id),
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
        )


async def start_export_exchange(wf: ClearanceWorkflow) -> None:
    """Clearances released before `release-exchange`: an exchange workflow per release notifies the partner of
    the destination country and waits for the exit to be confirmed (or follows it up)."""
    await workflow.start_child_workflow(
        ExportExchangeWorkflow.run,
        exchange_input(wf),
        id=exchange_workflow_id(wf._mrn),
        parent_close_policy=workflow.ParentClosePolicy.ABANDON,
    )


async def finish_invalidated(wf: ClearanceWorkflow) -> None:
    view, journal = wf._journal.view, wf._journal
    cmd = wf._progress.invalidation
    assert cmd is not None
    now = workflow.now()
    view.outcome = Outcome.invalidated
    if view.timeline[-1].ended_at is None:
        view.timeline[-1].ended_at = now
    journal.enter("invalidation")
    view.timeline[-1].actor = cmd.actor.id
    journal.decide("invalidation", "invalidation", "invalidated", cmd.actor.id, cmd.reason)
    journal.audit("invalidated", cmd.actor.id, reason=cmd.reason)
    cancelled = wf._book.cancel_open(now, "declaration invalidated")
    view.outcome_reason = f"invalidated by {cmd.actor.id}: {cmd.reason}"
    wf._cancel_rescreen_entries()
    if wf._progress.depleted:
        await acts.restore_licences(ReleaseDepletionsInput(mrn=wf._mrn, reason=f"invalidated: {cmd.reason}"))
        mark_restored(wf, f"invalidated: {cmd.reason}")
    await record_outcome(wf, Outcome.invalidated, Status.invalidated, tasks=cancelled)


async def finish_rescreen_confirmed(wf: ClearanceWorkflow) -> None:
    """A re-screening review confirmed a match: open tasks are called off and the clearance is concluded."""
    view, journal = wf._journal.view, wf._journal
    assert wf._rescreen_outcome is not None
    outcome, reason = wf._rescreen_outcome
    cancelled = wf._book.cancel_open(workflow.now(), "concluded: " + reason)
    wf._cancel_rescreen_entries()
    for task in cancelled:
        journal.audit("task_cancelled", None, task_id=task.id, reason=task.reason)
    if view.timeline[-1].ended_at is None:
        journal.leave()
    view.hold = None
    view.inspection_schedule = None
    if cancelled:
        await journal.project_tasks(cancelled)
    await finish(wf, outcome, reason)


async def record_outcome(
    wf: ClearanceWorkflow, outcome: Outcome, status: Status, tasks: list[Task] | None = None, exchange: bool = False
) -> ReleaseExchange | None:
    """One write for the end: the notice (rendered from the final view) and the view that lists it (with
    `exchange`, a release's exit awaited and its partner notified)."""
    view, journal = wf._journal.view, wf._journal
    workflow.logger.info("clearance concluded", extra={"mrn": wf._mrn, "outcome": outcome.value})
    kind = NOTICE_FOR[outcome]
    view.documents.append(DocumentRef(kind=kind, href=f"/v1/clearances/{wf._mrn}/documents/{kind}"))
    journal.leave()
    projection = journal.projection(status, tasks)
    return await acts.record_outcome(RecordOutcomeInput(projection=projection, notice=kind, exchange=exchange))


def mark_restored(wf: ClearanceWorkflow, reason: str) -> None:
    """The view shows each depletion as it stands: given back to its licence, when and why."""
    view = wf._journal.view
    now = workflow.now()
    for item in view.licences.items if view.licences else []:
        if item.licence_reference and item.restored_at is None:
            item.restored_at, item.restore_reason = now, reason[:400]
