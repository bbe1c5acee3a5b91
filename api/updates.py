"""Sending a person's action to a workflow as an Update, with the validator's verdict mapped to HTTP.

A 503 here means the outcome is unknown (Temporal down, or the workflow did not answer in time): the action may
or may not have been recorded. Retrying it is safe, because the validators refuse a second action (README,
"Errors")."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import Services
from api.errors import ApiError, temporal_unreachable, unavailable, update_error

UNKNOWN_OUTCOME = "the clearance engine did not confirm the action in time; retry it (a repeat is refused, not doubled)"


# The server refuses an Update whose (speculative) workflow task was lost to another task of the workflow, e.g. one
# completing a child's start: the Update was not applied, so it is sent again (its validator refuses a repeat).
LOST_TASK = "unexpected workflow task failure"
LOST_TASK_RETRIES = 3


async def send_update(services: Services, workflow_id: str, update: Any, arg: Any, result_type: type) -> Any:
    for attempt in range(LOST_TASK_RETRIES + 1):
        try:
            return await _send_update(services, workflow_id, update, arg, result_type)
        except RPCError as exc:  # only a lost workflow task comes out of _send_update as an RPCError
            if attempt == LOST_TASK_RETRIES:
                raise unavailable(UNKNOWN_OUTCOME) from exc
            await asyncio.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


async def _send_update(services: Services, workflow_id: str, update: Any, arg: Any, result_type: type) -> Any:
    handle = services.temporal.get_workflow_handle(workflow_id)
    timeout = services.settings.update_timeout_seconds
    try:
        return await asyncio.wait_for(
            handle.execute_update(update, arg, result_type=result_type, rpc_timeout=timedelta(seconds=timeout)),
            timeout=timeout,
        )
    except WorkflowUpdateFailedError as exc:
        raise update_error(exc) from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise ApiError(409, "the clearance has already finished") from exc
        if exc.status == RPCStatusCode.FAILED_PRECONDITION and LOST_TASK in exc.message:
            raise  # send_update sends it again
        raise unavailable(UNKNOWN_OUTCOME) from exc
    except Exception as exc:
        if temporal_unreachable(exc):
            raise unavailable(UNKNOWN_OUTCOME) from exc
        raise
