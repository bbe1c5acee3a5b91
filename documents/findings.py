"""An agency's inspection findings as people read them: seals (checked, not checked, or not recorded), a count per
goods item beside the declared quantity with its deviation against the SOP's tolerance, discrepancies, evidence.
Shared by the notices and the officers' console, so both say the same thing and neither prints a Python value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.inspection import Findings, parse_findings

NOT_RECORDED = "not recorded"


@dataclass(frozen=True)
class CountRow:
    item_sequence: int
    counted: Decimal
    declared: Decimal | None
    unit: str
    deviation_pct: Decimal | None  # None when nothing was declared to compare with
    verdict: str  # as declared, within / beyond tolerance, differs (no tolerance known), nothing declared


@dataclass(frozen=True)
class DiscrepancyRow:
    item_sequence: int
    kind: str
    declared: str
    found: str
    note: str


@dataclass(frozen=True)
class FindingsSheet:
    seals: str  # "checked", "not checked" or "not recorded": unknown is never shown as no
    seal_numbers: list[str] = field(default_factory=list)
    counts: list[CountRow] = field(default_factory=list)
    discrepancies: list[DiscrepancyRow] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    note: str = ""
    other: list[tuple[str, str]] = field(default_factory=list)  # free-form details of findings outside the schema
    recorded: bool = True  # False when the agency recorded no findings at all


def seals_text(value: bool | None) -> str:
    """Tri-state: `checked`, `not checked`, or `not recorded` when the officer did not say."""
    return NOT_RECORDED if value is None else "checked" if value else "not checked"


def findings_sheet(
    raw: Mapping[str, Any] | None, declared: Mapping[int, tuple[Decimal, str]], tolerance_pct: float | None
) -> FindingsSheet:
    """The sheet of one agency's findings; `declared` maps a goods item to its declared (quantity, unit)."""
    if not raw:
        return FindingsSheet(seals=NOT_RECORDED, recorded=False)
    try:
        findings = parse_findings(dict(raw))
    except ValueError:  # findings recorded before they were structured: show them as plain text
        return FindingsSheet(seals=NOT_RECORDED, other=[(_label(k), plain(v)) for k, v in sorted(raw.items())])
    return FindingsSheet(
        seals=seals_text(findings.seals_checked),
        seal_numbers=list(findings.seal_numbers),
        counts=_counts(findings, declared, tolerance_pct),
        discrepancies=[
            DiscrepancyRow(
                d.item_sequence, _label(d.kind).lower(), d.declared or NOT_RECORDED, d.found or NOT_RECORDED, d.note
            )
            for d in findings.discrepancies
        ],
        evidence=list(findings.evidence),
        note=findings.note,
    )


def _counts(
    findings: Findings, declared: Mapping[int, tuple[Decimal, str]], tolerance_pct: float | None
) -> list[CountRow]:
    rows = []
    for count in findings.counts:
        expected, unit = declared.get(count.item_sequence, (None, ""))
        deviation: Decimal | None = None
        if expected is None:
            verdict = "nothing declared"
        elif count.counted == expected:
            verdict, deviation = "as declared", Decimal(0)
        else:
            exact = abs(count.counted - expected) / expected * 100 if expected else Decimal(100)
            within = tolerance_pct is not None and exact <= Decimal(str(tolerance_pct))
            verdict = "differs" if tolerance_pct is None else "within tolerance" if within else "beyond tolerance"
            deviation = exact.quantize(Decimal("0.1"))
        rows.append(CountRow(count.item_sequence, count.counted, expected, unit, deviation, verdict))
    return rows


def declared_quantities(goods_items: list[Any]) -> dict[int, tuple[Decimal, str]]:
    """(quantity, unit) per goods item, from declaration models or their JSON form."""
    found: dict[int, tuple[Decimal, str]] = {}
    for item in goods_items:
        data = item if isinstance(item, Mapping) else item.model_dump(mode="json")
        quantity = data.get("quantity")
        if quantity and quantity.get("value") is not None:
            try:
                found[int(data["sequence"])] = (Decimal(str(quantity["value"])), str(quantity.get("unit") or ""))
            except (InvalidOperation, KeyError, ValueError):
                continue
    return found


def plain(value: Any) -> str:
    """Any recorded value as text: lists joined, yes/no, `key value` pairs; never a Python literal."""
    if value is None:
        return NOT_RECORDED
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return "; ".join(f"{_label(k).lower()} {plain(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(plain(v) for v in value) or "none"
    return str(value)


def _label(value: Any) -> str:
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]
