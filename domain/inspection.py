"""What an inspecting agency records, and how the joint inspection consolidates it (pure, so the workflow can).

Numbers are bounded Decimals (16 digits, 3 after the point, as declared quantities are), so the arithmetic on
accepted findings cannot overflow: `"1e999999999"` as a count is refused where it arrives."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Counted = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=3, description="quantity counted")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Count(Strict):
    item_sequence: Annotated[int, Field(ge=1, le=999)]
    counted: Counted


class Discrepancy(Strict):
    item_sequence: Annotated[int, Field(ge=1, le=999)]
    kind: Literal["quantity", "description", "commodity_code", "mass", "packaging", "other"]
    declared: str | None = Field(default=None, max_length=200)
    found: str | None = Field(default=None, max_length=200)
    note: str = Field(default="", max_length=2000)


class Findings(Strict):
    """An agency's structured findings (all optional, but what is given must be well formed)."""

    seals_checked: bool | None = Field(default=None, description="true, false, or absent for not recorded")
    seal_numbers: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=200)] = []
    counts: Annotated[list[Count], Field(max_length=999, description="quantities counted, per goods item")] = []
    discrepancies: Annotated[list[Discrepancy], Field(max_length=999)] = []
    evidence: Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=200)] = Field(
        default=[], description="references to photos, samples, reports"
    )
    note: str = Field(default="", max_length=4000)

    @property
    def records_a_check(self) -> bool:
        """Whether the findings say what was checked: seals, counts, discrepancies or evidence."""
        return self.seals_checked is not None or bool(self.counts or self.discrepancies or self.evidence)


class FindingsError(ValueError):
    """Malformed findings: `errors` holds (path inside the findings, message) of every problem, `loc` the first."""

    def __init__(self, errors: list[tuple[list[str | int], str]]) -> None:
        self.errors = errors
        self.loc = errors[0][0]
        super().__init__("; ".join(f"findings.{'.'.join(map(str, loc))}: {msg}" for loc, msg in errors))


def parse_findings(data: dict[str, object] | None) -> Findings:
    try:
        return Findings.model_validate(data or {})
    except ValidationError as exc:
        raise FindingsError([(list(e["loc"]), e["msg"]) for e in exc.errors()]) from exc


@dataclass(frozen=True)
class Deviation:
    index: int  # position in `counts`
    item_sequence: int
    counted: Decimal
    declared: Decimal
    pct: Decimal
    beyond: bool

    def describe(self) -> str:
        counted, declared = number(self.counted), number(self.declared)
        return f"item {self.item_sequence}: {counted} counted, {declared} declared ({self.pct:.1f} %)"


def number(value: Decimal) -> str:
    """A quantity as people write it: 40.000 → "40", 2.50 → "2.5"."""
    return format(value.normalize(), "f")


def deviations(findings: Findings, declared: dict[int, Decimal], tolerance_pct: float) -> list[Deviation]:
    """Counted quantities that differ from the declared ones, each marked beyond or within the tolerance."""
    tolerance = Decimal(str(tolerance_pct))
    found = []
    for index, count in enumerate(findings.counts):
        expected = declared.get(count.item_sequence)
        if expected is None or count.counted == expected:
            continue
        pct = abs(count.counted - expected) / expected * 100 if expected else Decimal(100)
        found.append(Deviation(index, count.item_sequence, count.counted, expected, pct, pct > tolerance))
    return found


def quantity_deviations(
    findings: Findings, declared: dict[int, Decimal], tolerance_pct: float
) -> tuple[list[str], list[str]]:
    """(beyond tolerance, within tolerance) descriptions of counted quantities that differ from the declared."""
    found = deviations(findings, declared, tolerance_pct)
    return [d.describe() for d in found if d.beyond], [d.describe() for d in found if not d.beyond]


def deviation_warning(deviation: Deviation, tolerance_pct: float) -> str:
    """What an officer recording such a count as compliant is told, and must confirm."""
    return (
        f"item {deviation.item_sequence}: {number(deviation.counted)} counted vs {number(deviation.declared)} "
        f"declared is {deviation.pct:.1f} %, beyond the SOP's {number(Decimal(str(tolerance_pct)))} % tolerance; "
        "confirm the deviation (confirm_deviation) or record non-compliant"
    )


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
            f"item {self.item_sequence}: {number(self.counted)} counted, {number(self.declared)} declared, "
            f"{self.deviation_pct:.1f} % off, {where} the {number(Decimal(str(self.tolerance_pct)))} % tolerance"
        )


def quantity_checks(
    agency: str, findings: Findings, declared: dict[int, Decimal], tolerance_pct: float
) -> list[QuantityCheck]:
    """Every count of `findings` that differs from the declared quantity of its goods item."""
    return [
        QuantityCheck(
            agency=agency,
            item_sequence=d.item_sequence,
            counted=d.counted,
            declared=d.declared,
            deviation_pct=d.pct.quantize(Decimal("0.1")),
            tolerance_pct=tolerance_pct,
            beyond_tolerance=d.beyond,
        )
        for d in deviations(findings, declared, tolerance_pct)
    ]
