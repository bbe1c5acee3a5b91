"""Delivering one webhook event at least once: its own workflow, so a dead endpoint retries with backoff for
hours without ever holding up a clearance."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

DELIVER = "deliver_webhook"
GIVE_UP = "give_up_webhook"
# About a day of attempts: 5 s, 10 s, 20 s ... then every 30 minutes.
DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=30),
    maximum_attempts=60,
)


@workflow.defn(name="WebhookDelivery")
class WebhookDeliveryWorkflow:
    @workflow.run
    async def run(self, delivery_id: str) -> str:
        try:
            await workflow.execute_activity(
                DELIVER, delivery_id, start_to_close_timeout=timedelta(seconds=30), retry_policy=DELIVERY_RETRY
            )
        except ActivityError:
            await workflow.execute_activity(GIVE_UP, delivery_id, start_to_close_timeout=timedelta(seconds=30))
            return "failed"
        return "delivered"
