"""Delivering one webhook event at least once: its own workflow, so a dead endpoint retries with backoff for
hours without ever holding up a clearance."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

from workflows import acts
from workflows.options import DELIVER_WEBHOOK as DELIVER
from workflows.options import GIVE_UP_WEBHOOK as GIVE_UP

__all__ = ["DELIVER", "GIVE_UP", "WebhookDeliveryWorkflow"]  # the activity names, as activities/webhooks.py knows them


@workflow.defn(name="WebhookDelivery")
class WebhookDeliveryWorkflow:
    @workflow.run
    async def run(self, delivery_id: str) -> str:
        try:
            await acts.deliver_webhook(delivery_id)
        except ActivityError:
            await acts.give_up_webhook(delivery_id)
            return "failed"
        return "delivered"
