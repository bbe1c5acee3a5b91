"""The activities workflows call, one typed function each: `await acts.screen_parties(inp) -> ScreeningResult`.

Names, timeouts and retries are in `workflows.options`; the implementations (activities/) are registered under
the same names and never imported here, so no store, template or HTTP code enters the workflow sandbox.
"""

from __future__ import annotations

from temporalio import workflow

from domain.clearance import (
    CheckLicencesInput,
    LicenceCheckResult,
    ProjectionInput,
    RecordOutcomeInput,
    ReleaseDepletionsInput,
    ScreeningResult,
    ScreenPartiesInput,
    TaskProjectionInput,
)
from domain.exchange import ComposeResult, ExitRecord, ExportExchangeInput, FailDelivery, ReleaseExchange
from domain.rescreen import RecordRescreenInput, RescreenPage, RescreenPageInput
from workflows import options
from workflows.options import run_local

# --- screening (activities/screening.py) ------------------------------------------------------------------


async def screen_parties(inp: ScreenPartiesInput) -> ScreeningResult:
    """Every party against the lists (and, when the input asks and all are clear, the licence check too)."""
    result: ScreeningResult = await run_local(options.SCREEN_PARTIES, inp, ScreeningResult)
    return result


# --- licence check (activities/licences.py) ---------------------------------------------------------------


async def check_licences(inp: CheckLicencesInput) -> LicenceCheckResult:
    result: LicenceCheckResult = await run_local(options.CHECK_LICENCES, inp, LicenceCheckResult)
    return result


async def restore_licences(inp: ReleaseDepletionsInput) -> None:
    """Give the clearance's depletions back to their licences (compensation of an ending without release)."""
    await run_local(options.RESTORE_LICENCES, inp)


# --- read model, audit trail and notices (activities/records.py) ----------------------------------------


async def project_clearance(inp: ProjectionInput) -> None:
    await run_local(options.PROJECT_CLEARANCE, inp)


async def project_tasks(inp: TaskProjectionInput) -> None:
    await run_local(options.PROJECT_TASKS, inp)


async def record_outcome(inp: RecordOutcomeInput) -> ReleaseExchange | None:
    """The notice and the final view in one transaction; with `inp.exchange`, also the exit awaited and the export
    notification to the partner (how its first delivery went)."""
    result: ReleaseExchange | None = await run_local(options.RECORD_OUTCOME, inp, ReleaseExchange | None)
    return result


# --- re-screening after a list import (activities/rescreen.py) -------------------------------------------


async def rescreen_page(inp: RescreenPageInput) -> RescreenPage:
    """One page of clearances screened against only the entries an import added or changed (a regular
    activity: a page may take longer than a local activity should)."""
    page: RescreenPage = await workflow.execute_activity(
        options.RESCREEN_PAGE,
        inp,
        result_type=RescreenPage,
        start_to_close_timeout=options.PAGE_TIMEOUT,
        retry_policy=options.RETRY_UNTIL_DONE,
    )
    return page


async def record_rescreen(inp: RecordRescreenInput) -> None:
    await run_local(options.RECORD_RESCREEN, inp)


# --- webhooks (activities/webhooks.py) --------------------------------------------------------------------


async def deliver_webhook(delivery_id: str) -> None:
    """POST one event to its subscriber, retried with backoff for about a day (then ActivityError)."""
    await workflow.execute_activity(
        options.DELIVER_WEBHOOK,
        delivery_id,
        start_to_close_timeout=options.DELIVERY_TIMEOUT,
        retry_policy=options.DELIVERY_RETRY,
    )


async def give_up_webhook(delivery_id: str) -> None:
    """Mark a delivery failed after its last attempt."""
    await workflow.execute_activity(
        options.GIVE_UP_WEBHOOK, delivery_id, start_to_close_timeout=options.DELIVERY_TIMEOUT
    )


# --- cross-border exchange (activities/exchange.py) ------------------------------------------------------


async def start_export_exchange(inp: ExportExchangeInput) -> ComposeResult:
    """The follow-up period and the export notification stored for sending (if a partner and agreement exist)."""
    result: ComposeResult = await run_local(options.START_EXPORT_EXCHANGE, inp, ComposeResult)
    return result


async def claim_exit_follow_up(inp: ExitRecord) -> ExitRecord | None:
    """The exit, followed up by the task `inp.task_id` when it was still awaited; else as it was settled."""
    result: ExitRecord | None = await run_local(options.CLAIM_EXIT_FOLLOW_UP, inp, ExitRecord | None)
    return result


async def deliver_exchange_message(message_id: str) -> str:
    """Deliver one signed message to its partner, retried for about a day (a refusal never): its status."""
    status: str = await workflow.execute_activity(
        options.DELIVER_EXCHANGE_MESSAGE,
        message_id,
        result_type=str,
        start_to_close_timeout=options.EXCHANGE_TIMEOUT,
        retry_policy=options.EXCHANGE_RETRY,
    )
    return status


async def fail_exchange_message(inp: FailDelivery) -> None:
    await run_local(options.FAIL_EXCHANGE_MESSAGE, inp)


async def record_exit(inp: ExitRecord) -> None:
    await run_local(options.RECORD_EXIT, inp)
