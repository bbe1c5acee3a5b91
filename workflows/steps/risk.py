"""The risk step: the SOP's ordered CEL rules give the lane (first match wins), then a random selection at the
SOP's rate (lower for an AEO). Runs in the workflow itself (CEL is pure); a rule that cannot be evaluated sends
the clearance to the red lane (fail safe)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio import workflow

from domain.vocabulary import Lane
from sop.expressions import ExpressionError, evaluate_condition
from sop.model import RiskStep
from workflows.progress import Decided
from workflows.steps import conditions

if TYPE_CHECKING:
    from workflows.clearance import ClearanceWorkflow


def run(wf: ClearanceWorkflow, step: RiskStep) -> Decided:
    context = conditions.context(wf)
    lane, reason, rule_id = step.default_lane, "no risk rule matched", None
    for rule in step.rules:
        try:
            matched = evaluate_condition(rule.when, context)
        except ExpressionError as exc:
            # Fail safe: a rule that cannot be evaluated sends the clearance to people, never to release.
            lane, reason, rule_id = Lane.red, f"rule {rule.id} could not be evaluated: {exc}", rule.id
            break
        if matched:
            lane, reason, rule_id = rule.lane, rule.reason, rule.id
            break
    selection = step.random_selection
    if selection is not None and lane in selection.applies_to:
        rate = selection.aeo_rate if wf._inp.declaration.aeo else selection.rate
        if workflow.random().random() < rate:
            lane, reason, rule_id = selection.lane, f"random selection ({rate:.1%})", "random_selection"
    view = wf._journal.view
    view.lane, view.lane_reason = lane, reason
    wf._journal.decide(step.id, "lane", lane.value, None, reason)
    wf._journal.audit("lane_assigned", None, lane=lane.value, rule=rule_id, reason=reason)
    return None
