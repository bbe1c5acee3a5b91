"""The bare-Temporal floor: a workflow with no activities, served by a worker with the clearance worker's
tuning, workflow runner (WORKFLOW_SANDBOX), activation (WORKFLOW_ACTIVATION) and payload passes
(stack/payload_passes.py). `python -m bench.floor` runs the worker (TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE from the
environment)."""

from __future__ import annotations

import asyncio
import signal

from temporalio import workflow
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():  # the sandbox re-imports this module: keep the wiring out
    from settings import get_settings
    from stack import loop, payload_passes
    from stack.temporal import connect
    from worker import TUNING, workflow_runner


@workflow.defn(name="Floor")
class FloorWorkflow:
    @workflow.run
    async def run(self, mrn: str) -> str:
        return mrn


async def main() -> None:
    settings = get_settings()
    client = await connect(settings)
    payload_passes.install()  # as build_worker installs them for the clearance worker
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=[FloorWorkflow],
        workflow_runner=workflow_runner(sandbox=settings.workflow_sandbox == "on"),
        debug_mode=settings.workflow_activation == "inline",  # activated as the clearance worker activates
        **TUNING,  # type: ignore[arg-type]
    ):
        await stop.wait()


if __name__ == "__main__":
    # Import ourselves by name: the sandbox must be able to re-import the workflow's module (not __main__).
    from bench.floor import main as run_worker

    loop.run(run_worker())
