"""Joint-inspection findings and their consolidation under the SOP's quantity tolerance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.clearance import AgencyFinding, InspectionInput
from domain.inspection import parse_findings
from workflows.inspection import consolidate


def inspection(tolerance: float) -> InspectionInput:
    return InspectionInput(
        mrn="26DE0000000000000",
        parent_workflow_id="w",
        agency="DEMO-CUSTOMS",
        step_id="joint_inspection",
        title="Joint inspection",
        agencies=[],
        due=timedelta(days=1),
        first_task_number=1,
        quantity_tolerance_pct=tolerance,
        declared_quantities={1: Decimal(40)},
    )


def finding(agency: str, outcome: str, findings: dict[str, object]) -> AgencyFinding:
    return AgencyFinding(
        agency=agency,
        task_id=f"T-{agency}",
        outcome=outcome,
        reason="r",
        findings=findings,
        completed_by=f"{agency}-officer",
        completed_at=datetime.now(UTC),
    )


def test_a_small_count_deviation_within_tolerance_is_released_with_a_note() -> None:
    result = consolidate(
        [
            finding("customs", "compliant", {"counts": [{"item_sequence": 1, "counted": 41}]}),
            finding("export_control", "compliant", {}),
        ],
        inspection(tolerance=5),
    )
    assert result.outcome == "compliant"
    assert result.notes == ["customs: within tolerance, item 1: 41 counted, 40 declared (2.5 %)"]


def test_a_deviation_beyond_tolerance_is_non_compliant_whatever_the_officers_said() -> None:
    result = consolidate(
        [finding("customs", "compliant", {"counts": [{"item_sequence": 1, "counted": 48}]})], inspection(tolerance=5)
    )
    assert result.outcome == "non_compliant" and "beyond tolerance" in result.notes[0]


def test_any_agency_non_compliant_makes_the_inspection_non_compliant_and_says_who() -> None:
    result = consolidate(
        [finding("customs", "compliant", {}), finding("export_control", "non_compliant", {})], inspection(tolerance=100)
    )
    assert result.outcome == "non_compliant" and result.notes == [
        "export_control: non-compliant (export_control-officer: r)"
    ]


@pytest.mark.parametrize(
    "bad,path",
    [
        ({"counts": [{"item_sequence": 0, "counted": 1}]}, "findings.counts.0.item_sequence"),
        ({"discrepancies": [{"item_sequence": 1, "kind": "colour"}]}, "findings.discrepancies.0.kind"),
        ({"seals": True}, "findings.seals"),
    ],
)
def test_malformed_findings_are_refused_with_their_path(bad: dict[str, object], path: str) -> None:
    with pytest.raises(ValueError, match=path.replace(".", r"\.")):
        parse_findings(bad)
