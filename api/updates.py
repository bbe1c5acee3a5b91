"""Sending a person's action to a workflow as an Update, with the validator's verdict mapped to HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import Services
from api.errors import ApiError, update_error


async def send_update(services: Services, workflow_id: str, update: Any, arg: Any, result_type: type) -> Any:
    handle = services.temporal.get_workflow_handle(workflow_id)
    try:
        return await asyncio.wait_for(
            handle.execute_update(update, arg, result_type=result_type),
            timeout=services.settings.update_timeout_seconds,
        )
    except WorkflowUpdateFailedError as exc:
        raise update_error(exc) from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise ApiError(409, "the clearance has already finished") from exc
        raise ApiError(503, f"the workflow service refused the action ({exc.message}); retry shortly") from exc
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError) as exc:
        raise ApiError(
            503,
            "the clearance engine did not answer in time; nothing was recorded, retry shortly",
            headers={"Retry-After": "5"},
        ) from exc
