"""Activity names and call options, in one place: workflows call activities through the typed functions of
`workflows.acts`, by name (workflow modules never import activity code, so no store, template or HTTP code enters
the sandbox), with explicit timeouts and retries. Agency outages are waited out: retries
back off to a minute and never give up; domain refusals come back as results, not errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

RETRY_UNTIL_DONE = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
)
LOCAL_TIMEOUT = timedelta(seconds=15)
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


async def run_local(name: str, arg: Any, result_type: type | None = None) -> Any:
    """Local activities: short, idempotent work that needs no separate task queue round trip."""
    return await workflow.execute_local_activity(
        name,
        arg,
        result_type=result_type,
        start_to_close_timeout=LOCAL_TIMEOUT,
        retry_policy=RETRY_UNTIL_DONE,
    )
