"""The inspection findings form: rows per goods item and discrepancy, turned into the `findings` dict the JSON API
takes (domain/inspection.py `Findings`). Nothing is judged here: the task's Update validator checks the dict and
names the field it refuses, and `field_id` finds the input that field came from."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from domain.inspection import Discrepancy

DISCREPANCY_KINDS: tuple[str, ...] = get_args(Discrepancy.model_fields["kind"].annotation)
DISCREPANCY_ROWS = 3
MAX_ROWS = 999  # goods items per declaration
_INTEGER = re.compile(r"^[0-9]+$")


@dataclass
class CountRow:
    index: int
    sequence: str
    description: str = ""
    declared: Mapping[str, Any] | None = None
    counted: str = ""

    @property
    def input_id(self) -> str:
        return f"count-{self.index}-counted"


@dataclass
class DiscrepancyRow:
    index: int
    item: str = ""
    kind: str = ""
    declared: str = ""
    found: str = ""
    note: str = ""

    def input_id(self, name: str) -> str:
        return f"disc-{self.index}-{name}"

    @property
    def filled(self) -> bool:
        return any((self.kind, self.declared, self.found, self.note))


@dataclass
class FindingsForm:
    seals_checked: str = ""  # "yes" | "no" | ""
    seal_numbers: str = ""
    counts: list[CountRow] = field(default_factory=list)
    discrepancies: list[DiscrepancyRow] = field(default_factory=list)
    evidence: str = ""
    note: str = ""
    confirm_deviation: bool = False

    @classmethod
    def blank(cls, goods_items: list[Mapping[str, Any]]) -> FindingsForm:
        """One count row per goods item of the declaration, showing what was declared."""
        return cls(
            counts=[
                CountRow(i, str(g.get("sequence", "")), g.get("description", ""), g.get("quantity"))
                for i, g in enumerate(goods_items)
            ]
            or [CountRow(0, "")],
            discrepancies=[DiscrepancyRow(i) for i in range(DISCREPANCY_ROWS)],
        )

    @classmethod
    def from_form(cls, form: Mapping[str, Any], goods_items: list[Mapping[str, Any]]) -> FindingsForm:
        """What the officer entered, on the rows the page offered (so a refused form shows again as it was)."""
        filled = cls.blank(goods_items)

        def text(name: str) -> str:
            return str(form.get(name) or "").strip()

        filled.seals_checked = text("seals_checked")
        filled.seal_numbers = text("seal_numbers")
        filled.evidence = str(form.get("evidence") or "")
        filled.note = str(form.get("findings_note") or "")
        filled.confirm_deviation = bool(form.get("confirm_deviation"))
        rows = _row_count(form, "count") or len(filled.counts)
        known = {row.index: row for row in filled.counts}
        filled.counts = []
        for i in range(rows):
            row = known.get(i) or CountRow(i, "")
            row.sequence = text(f"count-{i}-seq") or row.sequence
            row.counted = text(f"count-{i}-counted")
            filled.counts.append(row)
        rows = max(DISCREPANCY_ROWS, _row_count(form, "disc"))
        filled.discrepancies = [
            DiscrepancyRow(
                i,
                item=text(f"disc-{i}-item"),
                kind=text(f"disc-{i}-kind"),
                declared=text(f"disc-{i}-declared"),
                found=text(f"disc-{i}-found"),
                note=text(f"disc-{i}-note"),
            )
            for i in range(rows)
        ]
        return filled

    def findings(self) -> dict[str, Any]:
        """The findings as the JSON API takes them; blank rows are left out."""
        data: dict[str, Any] = {}
        if self.seals_checked in ("yes", "no"):
            data["seals_checked"] = self.seals_checked == "yes"
        seals = [s for s in re.split(r"[,\s]+", self.seal_numbers) if s]
        if seals:
            data["seal_numbers"] = seals
        counts = [{"item_sequence": _number(r.sequence), "counted": _number(r.counted)} for r in self._counted()]
        if counts:
            data["counts"] = counts
        discrepancies = [
            {
                "item_sequence": _number(r.item),
                "kind": r.kind,
                "declared": r.declared or None,
                "found": r.found or None,
                "note": r.note,
            }
            for r in self._discrepant()
        ]
        if discrepancies:
            data["discrepancies"] = discrepancies
        evidence = [line.strip() for line in self.evidence.splitlines() if line.strip()]
        if evidence:
            data["evidence"] = evidence
        if self.note.strip():
            data["note"] = self.note.strip()
        return data

    def field_id(self, loc: list[Any]) -> str | None:
        """The id of the input behind a refused path such as `["findings", "counts", 0, "counted"]`; the findings
        as a whole (none recorded) point at their first question."""
        if loc == ["findings"]:
            return "seals-checked-yes"
        if len(loc) < 2 or loc[0] != "findings":
            return None
        name, rest = loc[1], loc[2:]
        index = rest[0] if rest and isinstance(rest[0], int) else None
        if name == "counts" and index is not None and index < len(self._counted()):
            return self._counted()[index].input_id
        if name == "discrepancies" and index is not None and index < len(self._discrepant()):
            row = self._discrepant()[index]
            column = rest[1] if len(rest) > 1 else "kind"
            return row.input_id("item" if column == "item_sequence" else str(column))
        return {
            "seals_checked": "seals-checked-yes",
            "seal_numbers": "seal-numbers",
            "evidence": "evidence",
            "note": "findings-note",
        }.get(str(name))

    def _counted(self) -> list[CountRow]:
        return [r for r in self.counts if r.counted]

    def _discrepant(self) -> list[DiscrepancyRow]:
        return [r for r in self.discrepancies if r.filled]


def _row_count(form: Mapping[str, Any], prefix: str) -> int:
    indices = [int(k.split("-")[1]) for k in form if k.startswith(f"{prefix}-") and k.split("-")[1].isdigit()]
    return min(max(indices) + 1, MAX_ROWS) if indices else 0


def _number(raw: str) -> int | str:
    """Whole numbers as numbers; anything else as typed, for the validator to accept (a decimal) or refuse."""
    return int(raw) if _INTEGER.match(raw) else raw
