"""Render a clearance's notice as one standalone HTML document (inline stylesheet, no external resources,
because the system runs offline and notices are archived and printed as they are).

Templates live in `documents/templates/`, one per notice kind, all extending `base.html.j2`. Everything a
declarant typed reaches the page through Jinja2's autoescaping, so markup in a goods description is shown as
text, never interpreted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from documents.findings import FindingsSheet, declared_quantities, findings_sheet
from documents.formats import rfc3339
from domain.clearance import ClearanceView, Decision, ItemLicence
from domain.declaration import GoodsItem, Money
from domain.vocabulary import NOTICE_FOR, Outcome

NOTICE_KINDS = tuple(NOTICE_FOR.values())


@dataclass(frozen=True)
class _Heading:
    title: str
    message: str  # the AES message the notice is modelled on
    tone: str  # banner colour: ok, warn, stop, void


_HEADINGS = {
    "release-notice": _Heading("Release for export", "Modelled on AES IE529 — release for export", "ok"),
    "referral-notice": _Heading("Referral to enforcement", "Referral dossier — goods held", "warn"),
    "not-released-notice": _Heading("Not released for export", "Modelled on AES IE551 — no release", "stop"),
    "invalidation-notice": _Heading(
        "Invalidation of declaration", "Modelled on AES IE509 / IE505 — invalidation", "void"
    ),
}


@dataclass(frozen=True)
class GoodsRow:
    """A goods item with the licence check's finding for it (None when no check ran)."""

    item: GoodsItem
    licence: ItemLicence | None


@dataclass(frozen=True)
class Ground:
    """One reason a clearance did not end in release, in the words a notice shows."""

    kind: str
    text: str


def notice_kind_for(outcome: Outcome | str) -> str:
    """The notice a clearance with this outcome is given."""
    try:
        return NOTICE_FOR[Outcome(outcome)]
    except ValueError:
        raise ValueError(f"no notice for outcome {outcome!r}") from None


def render_notice(kind: str, view: ClearanceView, *, issued_at: datetime) -> str:
    """The notice of `kind` (one of NOTICE_KINDS) for the clearance `view`, as a complete HTML document."""
    if kind not in NOTICE_KINDS:
        raise ValueError(f"unknown notice kind {kind!r}; expected one of {', '.join(NOTICE_KINDS)}")
    template = _env.get_template(f"{kind}.html.j2")
    return template.render(_context(kind, view, issued_at))


# --- context ---------------------------------------------------------------------------------------------


def _context(kind: str, view: ClearanceView, issued_at: datetime) -> dict[str, Any]:
    declaration = view.declaration
    by_sequence = {i.sequence: i for i in view.licences.items} if view.licences else {}
    goods = [GoodsRow(item, by_sequence.get(item.sequence)) for item in declaration.goods_items]
    return {
        "kind": kind,
        "heading": _HEADINGS[kind],
        "view": view,
        "declaration": declaration,
        "goods": goods,
        "licensed": [row for row in goods if row.licence is not None and row.licence.control_code],
        "totals": _totals(declaration.goods_items),
        "grounds": grounds(view),
        "sheets": _sheets(view),
        "release_basis": release_basis(view) if kind == "release-notice" else [],
        "invalidation": _invalidation(view.decisions),
        "issued_at": issued_at,
    }


def _totals(items: Iterable[GoodsItem]) -> dict[str, Any]:
    items = list(items)
    by_currency: dict[str, Decimal] = {}
    for item in items:
        value = item.statistical_value
        by_currency[value.currency] = by_currency.get(value.currency, Decimal(0)) + value.amount
    return {
        "net_mass_kg": sum((i.net_mass_kg for i in items), Decimal(0)),
        "gross_mass_kg": sum((i.gross_mass_kg for i in items), Decimal(0)),
        "values": [Money(amount=a, currency=c) for c, a in sorted(by_currency.items())],
    }


def grounds(view: ClearanceView) -> list[Ground]:
    """Every adverse finding of the clearance: what a referral or a refusal rests on, whichever SOP step
    turned it into the outcome."""
    found: list[Ground] = []
    if view.screening:
        for party in view.screening.parties:
            if party.status != "confirmed_match":
                continue
            entries = ", ".join(f"{m.list} {m.entry_id}" for m in party.matches) or "a listed entity"
            found.append(
                Ground(
                    "screening",
                    f"Confirmed restricted-party match: {_label(party.role)} “{party.name}” is listed ({entries}).",
                )
            )
    if view.licences:
        if view.licences.embargoed:
            reason = view.licences.embargo_reason or f"destination {view.declaration.country_of_destination}"
            found.append(Ground("embargo", f"Embargoed destination: {reason}."))
        for item in view.licences.items:
            if item.status == "no_licence":
                why = f": {item.reason}" if item.reason else ""
                found.append(
                    Ground(
                        "licence",
                        f"No valid licence for goods item {item.sequence} "
                        f"(control code {item.control_code or 'unclassified'}){why}.",
                    )
                )
    if view.inspection and view.inspection.outcome == "non_compliant":
        units = {i: unit for i, (_, unit) in declared_quantities(view.declaration.goods_items).items()}
        for finding in view.inspection.findings:
            if finding.outcome == "non_compliant":
                found.append(
                    Ground(
                        "inspection",
                        f"Inspection by {_label(finding.agency)} found the goods non-compliant "
                        f"({finding.completed_by}): {finding.reason or 'no reason given'}",
                    )
                )
        for check in view.inspection.quantity_checks:
            if check.beyond_tolerance:
                unit = f" {units[check.item_sequence]}" if units.get(check.item_sequence) else ""
                found.append(
                    Ground(
                        "inspection",
                        f"Quantity beyond the SOP's {_pct(check.tolerance_pct)} tolerance: "
                        f"{_label(check.agency)} counted {_number(check.counted)}{unit} of goods item "
                        f"{check.item_sequence}, {_number(check.declared)}{unit} declared "
                        f"({check.deviation_pct:.1f} % off).",
                    )
                )
    for decision in view.decisions:
        if decision.kind == "approval" and decision.outcome in ("reject", "refer"):
            verb = "rejected" if decision.outcome == "reject" else "referred"
            by = f" by {decision.actor}" if decision.actor else ""
            why = f": {decision.reason}" if decision.reason else "."
            found.append(Ground("approval", f"Supervisor {verb} the clearance{by}{why}"))
    return found


def _sheets(view: ClearanceView) -> dict[str, FindingsSheet]:
    """Each agency's findings, by task id, as readable tables."""
    if view.inspection is None:
        return {}
    declared = declared_quantities(view.declaration.goods_items)
    tolerance = view.inspection.quantity_tolerance_pct
    return {f.task_id: findings_sheet(f.findings, declared, tolerance) for f in view.inspection.findings}


def release_basis(view: ClearanceView) -> list[str]:
    """What a release rests on: the lane and why, the checks that found nothing, the people who decided."""
    basis = []
    if view.lane is not None:
        basis.append(f"{_label(view.lane)} lane: {view.lane_reason or 'no reason recorded'}.")
    if view.screening:
        cleared = [p for p in view.screening.parties if p.status == "false_positive"]
        basis.append(
            f"Party screening: {len(view.screening.parties)} parties screened, none confirmed on a restricted-party "
            "list"
            + (
                f" ({len(cleared)} possible match{'es' if len(cleared) != 1 else ''} reviewed as false positive)"
                if cleared
                else ""
            )
            + "."
        )
    if view.licences:
        covered = [i for i in view.licences.items if i.status == "covered"]
        basis.append(
            f"Licence check: destination {view.declaration.country_of_destination} not embargoed; "
            + (
                "; ".join(
                    f"goods item {i.sequence} ({i.control_code}) covered by licence {i.licence_reference}"
                    for i in covered
                )
                or "no goods item is controlled"
            )
            + "."
        )
    if view.inspection:
        within = [c for c in view.inspection.quantity_checks if not c.beyond_tolerance]
        text = f"Joint inspection: {_label(view.inspection.outcome).lower()}"
        if within:
            text += "; " + "; ".join(f"{_label(c.agency)} counted {c.describe()}" for c in within)
        basis.append(text + ".")
    for decision in view.decisions:
        if decision.kind == "approval":
            basis.append(
                f"Supervisor approval by {decision.actor or 'a supervisor'}: "
                f"{decision.outcome}{f', {decision.reason}' if decision.reason else ''}."
            )
    return [_sentence(line) for line in basis]


def _sentence(text: str) -> str:
    """One full stop at the end, whatever the reason typed by an officer or an SOP author ended with."""
    text = text.strip()
    while text.endswith(".."):
        text = text[:-1]
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _invalidation(decisions: list[Decision]) -> Decision | None:
    matching = [d for d in decisions if d.kind in ("invalidation", "invalidate") or d.outcome == "invalidated"]
    return matching[-1] if matching else None


# --- filters ---------------------------------------------------------------------------------------------


def _number(value: Decimal | float | int, places: int = 3) -> str:
    text = f"{Decimal(str(value)):,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _mass(value: Decimal | float | None) -> str:
    return "—" if value is None else f"{_number(value)} kg"


def _money(value: Money | None) -> str:
    return "—" if value is None else f"{Decimal(value.amount):,.2f} {value.currency}"


def _amount(value: Decimal | float | None, currency: str) -> str:
    return "—" if value is None else f"{Decimal(str(value)):,.2f} {currency}"


def _elapsed(started: datetime, ended: datetime | None) -> str:
    if ended is None:
        return "in progress"
    return _short_duration(ended - started)


def _short_duration(delta: timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{n} {u}" for n, u in ((days, "d"), (hours, "h"), (minutes, "min")) if n]
    if seconds or not parts:
        parts.append(f"{seconds} s")
    return " ".join(parts[:2])


def _label(value: Any) -> str:
    """`export_control` → `Export control`; enum members by value."""
    text = str(getattr(value, "value", value)).replace("_", " ").replace("-", " ")
    return text[:1].upper() + text[1:]


def _pct(value: Decimal | float) -> str:
    """`95.0 %`, `2 %`: one decimal, except for a whole tolerance."""
    exact = Decimal(str(value))
    return f"{exact:.0f} %" if exact == exact.to_integral() and not isinstance(value, Decimal) else f"{exact:.1f} %"


def _capfirst(value: str | None) -> str:
    text = value or ""
    return text[:1].upper() + text[1:]


def _score(value: float) -> str:
    return f"{value:.1f}"


_env = Environment(
    loader=PackageLoader("documents", "templates"),
    auto_reload=False,  # templates ship with the code: no stat of each template file per notice
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(
    rfc3339=rfc3339,
    mass=_mass,
    money=_money,
    amount=_amount,
    number=_number,
    elapsed=_elapsed,
    label=_label,
    score=_score,
    pct=_pct,
    capfirst=_capfirst,
    sentence=_sentence,
)
