"""Activity names and call options, in one place: workflows call activities through the typed functions of
`workflows.acts`, by name (workflow modules never import activity code, so no store, template or HTTP code enters
the sandbox), with explicit timeouts and retries. Domain refusals come back as results, not errors. Calls to
agencies (`run_agency`) are bounded: retries back off to a minute for at most AGENCY_PATIENCE, an agency's
refusal (`AgencyRejected`, a 4xx) is not retried, and the clearance then parks with the reason."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

from domain.payloads import Encoded

RETRY_UNTIL_DONE = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
)
LOCAL_TIMEOUT = timedelta(seconds=15)
AGENCY_PATIENCE = timedelta(minutes=10)
AGENCY_REJECTED = "AgencyRejected"  # adapters.errors.AGENCY_REJECTED (workflow code imports no adapter)
AGENCY_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=[AGENCY_REJECTED],
)
PAGE_TIMEOUT = timedelta(minutes=5)  # a re-screening page (a regular activity)

SCREEN_PARTIES = "screen_parties"
CHECK_LICENCES = "check_licences"
RESTORE_LICENCES = "restore_licences"
PROJECT_CLEARANCE = "project_clearance"
PROJECT_TASKS = "project_tasks"
RECORD_OUTCOME = "record_outcome"
RESCREEN_PAGE = "rescreen_page"
RECORD_RESCREEN = "record_rescreen"
DELIVER_WEBHOOK = "deliver_webhook"
GIVE_UP_WEBHOOK = "give_up_webhook"

# A webhook delivery: about a day of attempts, 5 s, 10 s, 20 s ... then every 30 minutes.
DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=30),
    maximum_attempts=60,
)
DELIVERY_TIMEOUT = timedelta(seconds=30)


async def run_local(name: str, arg: Any, result_type: Any = None) -> Any:
    """Local activities: short, idempotent work that needs no separate task queue round trip. The input is encoded
    as it stands now (`Encoded`): an attempt after a back-off gets this input, not the workflow's state by then."""
    return await workflow.execute_local_activity(
        name,
        Encoded(arg),
        result_type=result_type,
        start_to_close_timeout=LOCAL_TIMEOUT,
        retry_policy=RETRY_UNTIL_DONE,
    )


async def run_agency(name: str, arg: Any, result_type: type | None = None) -> Any:
    """A local activity that reaches an agency: raises ActivityError once the agency refused or stayed away for
    AGENCY_PATIENCE, for the caller to park the clearance. The input is encoded as it stands now, as `run_local`'s."""
    return await workflow.execute_local_activity(
        name,
        Encoded(arg),
        result_type=result_type,
        start_to_close_timeout=LOCAL_TIMEOUT,
        schedule_to_close_timeout=AGENCY_PATIENCE,
        retry_policy=AGENCY_RETRY,
    )


# Cross-border exchange (activities/exchange.py, workflows/exchange.py).
START_EXPORT_EXCHANGE = "start_export_exchange"
CLAIM_EXIT_FOLLOW_UP = "claim_exit_follow_up"
DELIVER_EXCHANGE_MESSAGE = "deliver_exchange_message"
FAIL_EXCHANGE_MESSAGE = "fail_exchange_message"
RECORD_EXIT = "record_exit"
# A message to a partner administration: retried with backoff for about a day, a refusal (4xx) never.
EXCHANGE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=30),
    maximum_attempts=60,
    non_retryable_error_types=[AGENCY_REJECTED],
)
EXCHANGE_TIMEOUT = timedelta(seconds=30)
