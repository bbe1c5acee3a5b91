"""After a list import commits: start its delta screening (`ListRescreen`, one workflow per list revision)."""

from __future__ import annotations

import structlog
from temporalio.client import WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.deps import Services
from domain.rescreen import RescreenInput, rescreen_workflow_id
from store.screening_lists import ImportResult
from workflows.rescreen import ListRescreenWorkflow

log = structlog.get_logger("api.rescreen")


async def after_import(services: Services, result: ImportResult) -> WorkflowHandle | None:
    """Re-screen the clearances screened on an older revision against what the import added or changed.

    An import that changed nothing starts nothing; starting the same revision again finds the running (or finished)
    workflow. The import has committed either way, so a Temporal outage is logged, not answered with an error."""
    if not result.changed:
        return None
    workflow_id = rescreen_workflow_id(result.list, result.revision)
    try:
        handle = await services.temporal.start_workflow(
            ListRescreenWorkflow.run,
            RescreenInput(
                list=result.list, revision=result.revision, lookback_days=services.settings.rescreen_lookback_days
            ),
            id=workflow_id,
            task_queue=services.settings.temporal_task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        return services.temporal.get_workflow_handle(workflow_id)
    except RPCError as exc:
        log.error("rescreen_not_started", list=result.list, revision=result.revision, error=exc.message)
        return None
    log.info("rescreen_started", list=result.list, revision=result.revision, changed=len(result.changed))
    return handle
