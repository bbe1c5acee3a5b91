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


async def send_update(services: Services, workflow_id: str, update: Any, arg: Any, result_type: type) -> Any:
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
        raise unavailable(UNKNOWN_OUTCOME) from exc
    except Exception as exc:
        if temporal_unreachable(exc):
            raise unavailable(UNKNOWN_OUTCOME) from exc
        raise
