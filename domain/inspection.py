"""What an inspecting agency records, and how the joint inspection consolidates it (pure, so the workflow can)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Count(Strict):
    item_sequence: Annotated[int, Field(ge=1, le=999)]
    counted: Annotated[Decimal, Field(ge=0)]


class Discrepancy(Strict):
    item_sequence: Annotated[int, Field(ge=1, le=999)]
    kind: Literal["quantity", "description", "commodity_code", "mass", "packaging", "other"]
    declared: str | None = None
    found: str | None = None
    note: str = ""


class Findings(Strict):
    """An agency's structured findings (all optional, but what is given must be well formed)."""

    seals_checked: bool | None = None
    seal_numbers: list[str] = []
    counts: list[Count] = Field(default=[], description="quantities counted, per goods item")
    discrepancies: list[Discrepancy] = []
    evidence: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default=[], description="references to photos, samples, reports"
    )
    note: str = ""


class FindingsError(ValueError):
    """Malformed findings; `loc` is the path of the first problem inside them."""

    def __init__(self, loc: list[str | int], msg: str) -> None:
        self.loc = loc
        super().__init__(f"findings.{'.'.join(map(str, loc))}: {msg}")


def parse_findings(data: dict[str, object] | None) -> Findings:
    try:
        return Findings.model_validate(data or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise FindingsError(list(first["loc"]), first["msg"]) from exc


def quantity_deviations(
    findings: Findings, declared: dict[int, Decimal], tolerance_pct: float
) -> tuple[list[str], list[str]]:
    """(beyond tolerance, within tolerance) descriptions of counted quantities that differ from the declared."""
    beyond: list[str] = []
    within: list[str] = []
    for count in findings.counts:
        expected = declared.get(count.item_sequence)
        if expected is None or count.counted == expected:
            continue
        deviation = abs(count.counted - expected) / expected * 100 if expected else Decimal(100)
        text = f"item {count.item_sequence}: {count.counted} counted, {expected} declared ({deviation:.1f} %)"
        (within if deviation <= Decimal(str(tolerance_pct)) else beyond).append(text)
    return beyond, within


class QuantityCheck(BaseModel):
    """A counted quantity that differs from the declared one, measured against the SOP's tolerance."""

    agency: str
    item_sequence: int
    counted: Decimal
    declared: Decimal
    deviation_pct: Decimal = Field(description="|counted - declared| / declared, in per cent (100 when declared is 0)")
    tolerance_pct: float
    beyond_tolerance: bool

    def describe(self) -> str:
        """`item 1: 2 counted, 40 declared, 95.0 % off, beyond the 2 % tolerance`."""
        where = "beyond" if self.beyond_tolerance else "within"
        return (
            f"item {self.item_sequence}: {_plain(self.counted)} counted, {_plain(self.declared)} declared, "
            f"{self.deviation_pct:.1f} % off, {where} the {_plain(Decimal(str(self.tolerance_pct)))} % tolerance"
        )


def quantity_checks(
    agency: str, findings: Findings, declared: dict[int, Decimal], tolerance_pct: float
) -> list[QuantityCheck]:
    """Every count of `findings` that differs from the declared quantity of its goods item."""
    checks = []
    for count in findings.counts:
        expected = declared.get(count.item_sequence)
        if expected is None or count.counted == expected:
            continue
        deviation = abs(count.counted - expected) / expected * 100 if expected else Decimal(100)
        checks.append(
            QuantityCheck(
                agency=agency,
                item_sequence=count.item_sequence,
                counted=count.counted,
                declared=expected,
                deviation_pct=deviation.quantize(Decimal("0.1")),
                tolerance_pct=tolerance_pct,
                beyond_tolerance=deviation > Decimal(str(tolerance_pct)),
            )
        )
    return checks


def _plain(value: Decimal) -> str:
    """`40`, `2.5`: a decimal without trailing zeros or exponent."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
