"""The clearance worker: runs the clearance, joint-inspection, webhook and re-screening workflows and their
activities.

python worker.py            # uses TEMPORAL_ADDRESS, DATABASE_URL, ... (see README)
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Sequence
from typing import Any

import structlog
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import PollerBehaviorAutoscaling, UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.clearance import ClearanceActivities
from activities.exchange import ExchangeActivities
from activities.exits import ExitSweeper
from activities.rescreen import RescreenActivities
from activities.webhooks import WebhookActivities, sweep_forever
from adapters.exchange_office import ExchangeOffice
from adapters.licences import EmbeddedLicenceRegistry, HttpLicenceRegistry, LicenceRegistry
from adapters.screening import EmbeddedScreeningService, HttpScreeningService, ScreeningService
from adapters.webhook_endpoints import EndpointPolicy
from adapters.witness import close as close_witnesses
from adapters.witness import configured_witnesses
from settings import Settings, get_settings
from stack import gc_policy, loop, payload_passes
from stack.logging import configure as configure_logging
from stack.temporal import connect
from store import audit_cosign, audit_log
from store.audit_note import load_signer
from store.db import Database
from store.secrets import secret_box
from workflows.clearance import ClearanceWorkflow
from workflows.exchange import ExchangeDeliveryWorkflow, ExportExchangeWorkflow
from workflows.inspection import JointInspectionWorkflow
from workflows.rescreen import ListRescreenWorkflow, PostReleaseAlertWorkflow
from workflows.webhook import WebhookDeliveryWorkflow

WORKFLOWS: Sequence[type] = (
    ClearanceWorkflow,
    JointInspectionWorkflow,
    WebhookDeliveryWorkflow,
    ListRescreenWorkflow,
    PostReleaseAlertWorkflow,
    ExportExchangeWorkflow,
    ExchangeDeliveryWorkflow,
)
# Shared, deterministic modules pass through the sandbox instead of being re-imported for every workflow run.
PASSTHROUGH = ("domain", "sop", "pydantic", "pydantic_core", "cel", "pycountry", "annotated_types")

# The same tuning for the clearance worker and the benchmark's bare-Temporal floor worker. The workflow cache
# keeps open clearances (those awaiting people for days included) in memory between their tasks: 500 is well above
# the clearances in flight at once under load (the SDK's default, 1000, let the cache alone reach hundreds of MB);
# one evicted is replayed from its history when it is next woken.
# Activations run inline on the worker's event loop (WORKFLOW_ACTIVATION=inline: Temporal's `debug_mode`, which
# besides that only installs a `breakpoint()` hook for workflow code). Handing each to a thread and back, as
# Temporal does by default to detect a workflow that blocks, cost the worker 6 % of its CPU per green-lane
# clearance (three activations) in thread hand-offs and GIL switches. What that detection guards against,
# workflow code that blocks or spins, the strict sandbox of every workflow and replay test catches instead
# (non-deterministic and blocking calls fail there); WORKFLOW_ACTIVATION=thread brings the detection back.
# Workflow-task polls scale with the server's feedback (PollerBehaviorAutoscaling) instead of the SDK's fixed five,
# one of them for first tasks: with those, under load 58 % of the first workflow tasks found no poll waiting, went
# to the server's backlog (a write and a read of its database) and waited there 0.6-0.9 s on average; autoscaled,
# every one is matched at once (bench/README.md, session 16).
TUNING = {
    "max_cached_workflows": 500,
    "max_concurrent_workflow_tasks": 100,
    "max_concurrent_local_activities": 100,
    "max_concurrent_activities": 100,
    "workflow_task_poller_behavior": PollerBehaviorAutoscaling(),
}

log = structlog.get_logger("worker")


def workflow_runner(*, strict: bool = False, sandbox: bool = True) -> WorkflowRunner:
    """How the worker runs workflow code.

    The sandbox re-imports (and recompiles) every module it does not pass through, for every workflow run, and
    enters itself (an `exec` of a code string) for every activation and every payload it converts: a tenth of
    the worker's CPU per green-lane clearance even with our own modules passed through. The worker therefore
    runs unsandboxed (`sandbox=False`, WORKFLOW_SANDBOX=off, the default), which Temporal supports for
    workflow code known to be deterministic. What makes ours known to be: `strict=True`, used by every workflow
    and replay test, runs it in the sandbox and re-imports our modules there, so a non-deterministic call in
    workflow code fails the suite. `sandbox=True` without `strict` is the sandbox with our modules passed through
    (WORKFLOW_SANDBOX=on)."""
    if strict:
        return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH))
    if not sandbox:
        return UnsandboxedWorkflowRunner()
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH, "workflows")
    )


def licence_registry(settings: Settings, db: Database) -> LicenceRegistry:
    if settings.licence_registry == "http":
        return HttpLicenceRegistry(
            settings.licence_registry_url, settings.licence_registry_token, settings.adapter_timeout_seconds
        )
    return EmbeddedLicenceRegistry(db)


def screening_service(settings: Settings, db: Database) -> ScreeningService:
    if settings.screening_service == "http":
        return HttpScreeningService(
            settings.screening_service_url, settings.screening_service_token, settings.adapter_timeout_seconds
        )
    return EmbeddedScreeningService(db)


class ClearanceWorker(Worker):
    """A Worker that, while it runs, also starts webhook deliveries whose workflow start was lost, and the
    follow-up of exports whose exit was not confirmed in time (`activities/exits.py`)."""

    def __init__(self, client: Client, *, db: Database, exits: ExitSweeper, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self._sweep_db, self._sweep_client, self._sweep_queue = db, client, kwargs["task_queue"]
        self._exits = exits

    async def run(self) -> None:
        sweepers = [
            asyncio.create_task(sweep_forever(self._sweep_db, self._sweep_client, self._sweep_queue)),
            asyncio.create_task(self._exits.forever()),
        ]
        try:
            await super().run()
        finally:
            for sweeper in sweepers:
                sweeper.cancel()
            await asyncio.gather(*sweepers, return_exceptions=True)


def build_worker(client: Client, settings: Settings, db: Database, *, task_queue: str | None = None) -> Worker:
    payload_passes.install()  # one payload walk per activation and completion, not three (stack/payload_passes.py)
    audit_log.use_signer(db, load_signer(settings.audit_log_key_path, settings.audit_log_origin))  # signs outcomes
    exchange = ExchangeActivities(
        db=db,
        office=ExchangeOffice(settings=settings, db=db),
        follow_up_days=settings.exit_follow_up_days,
        due_days=settings.exit_follow_up_due_days,
    )
    acts = ClearanceActivities(
        db=db, licences=licence_registry(settings, db), screening=screening_service(settings, db), exchange=exchange
    )
    webhooks = WebhookActivities(
        db=db,
        timeout=settings.adapter_timeout_seconds,
        policy=EndpointPolicy(allow_http=settings.webhook_allow_http, allow_private=settings.webhook_allow_private),
        box=secret_box(settings.secrets_key, settings.secrets_key_file),
    )
    queue = task_queue or settings.temporal_task_queue
    exits = ExitSweeper(
        db=db,
        client=client,
        task_queue=queue,
        follow_up_seconds=settings.exit_follow_up_days * 86400,
        due_seconds=settings.exit_follow_up_due_days * 86400,
        interval=settings.exit_sweep_seconds,
    )
    return ClearanceWorker(
        client,
        db=db,
        exits=exits,
        task_queue=queue,
        workflows=list(WORKFLOWS),
        activities=[*acts.all(), *webhooks.all(), *RescreenActivities(db=db).all(), *exchange.all()],
        workflow_runner=workflow_runner(sandbox=settings.workflow_sandbox == "on"),
        debug_mode=settings.workflow_activation == "inline",
        **TUNING,  # type: ignore[arg-type]
    )


async def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    freezer = gc_policy.install()  # full collections skip the screening index once it has settled (stack/gc_policy.py)
    if settings.worker_metrics_port:
        Runtime.set_default(
            Runtime(
                telemetry=TelemetryConfig(
                    metrics=PrometheusConfig(bind_address=f"127.0.0.1:{settings.worker_metrics_port}")
                )
            ),
            error_if_already_set=False,
        )
    db = Database(settings.resolved_database_url)
    await db.init()
    client = await connect(settings)
    worker = build_worker(client, settings, db)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker_started", task_queue=settings.temporal_task_queue, address=settings.temporal_address)
    signer = load_signer(settings.audit_log_key_path, settings.audit_log_origin)
    witnesses = await configured_witnesses(settings, db, signer)  # partners that cosign our checkpoints
    publisher = asyncio.create_task(
        audit_cosign.publish_and_witness(db, signer, settings.audit_checkpoint_interval_seconds, witnesses)
    )
    freezer.settle()  # and what startup built, from the start
    async with worker:
        await stop.wait()
        log.info("worker_stopping")
    publisher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await publisher
    await close_witnesses(witnesses)
    await db.dispose()
    log.info("worker_stopped")


if __name__ == "__main__":
    loop.run(main())
