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
