"""What the SOP's CEL conditions and risk rules see of a clearance, and the fail-safe evaluation of a step's
`when` (pure: CEL is deterministic)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sop.expressions import ExpressionError, evaluate_condition, rule_context, to_cel
from sop.model import Step

if TYPE_CHECKING:
    from workflows.clearance import ClearanceWorkflow


def context(wf: ClearanceWorkflow) -> dict[str, Any]:
    view = wf._journal.view
    licences = view.licences
    codes = sorted({i.control_code for i in licences.items if i.control_code}) if licences else []
    hits = sum(1 for p in view.screening.parties if p.status != "clear") if view.screening else 0
    return rule_context(
        declaration=to_cel(wf._inp.declaration.model_dump()),
        controlled=bool(codes),
        control_codes=codes,
        screening_hits=hits,
        lane=view.lane.value if view.lane else "",
    )


def holds(wf: ClearanceWorkflow, step: Step) -> bool:
    assert step.when is not None
    try:
        return evaluate_condition(step.when, context(wf))
    except ExpressionError as exc:
        # Fail safe: when in doubt, the (human) step runs.
        wf._journal.audit("expression_error", None, step=step.id, error=str(exc))
        return True
