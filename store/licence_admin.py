"""The issuing authority's side of a licence: suspension, reinstatement, revocation and amendment, the live
consumption ledger, which agencies' clearances use a licence, and the licence's own audit chain.

A licence's audit events are leaves of the one verifiable audit log, chained under `audit_key(reference)`
(`store.register_audit`); each event's detail names the reference.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.declaration import Money, Quantity
from domain.licence import (
    Balance,
    DepletionView,
    LedgerEntry,
    LicenceAmendment,
    LicenceItemView,
    LicenceLedger,
    LicenceView,
)
from store import licences as licence_store
from store import register_audit
from store.models import AuditRecord, ClearanceRecord, Licence, LicenceDepletion, LicenceItem, LicenceUse, utcnow

# from state -> the states each action may lead to from it
TRANSITIONS: dict[str, dict[str, str]] = {
    "suspend": {"active": "suspended"},
    "reinstate": {"suspended": "active"},
    "revoke": {"active": "revoked", "suspended": "revoked"},
}


class StateConflict(Exception):
    pass


class AmendmentRefused(Exception):
    def __init__(self, message: str, field: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.field = field


def audit_key(reference: str) -> str:
    return register_audit.subject_key("LIC", reference)


async def audit(session: AsyncSession, reference: str, kind: str, actor: str, **detail: Any) -> None:
    """Append one event to the licence's chain, in the caller's transaction (the caller commits)."""
    await register_audit.append(session, audit_key(reference), kind, actor, {"licence": reference, **detail})


async def licence_trail(session: AsyncSession, reference: str) -> list[AuditRecord]:
    return await register_audit.trail(session, audit_key(reference))


async def change_state(session: AsyncSession, reference: str, *, action: str, by: str, reason: str) -> LicenceView:
    """Suspend, reinstate or revoke; audited in the same transaction. StateConflict when the licence's state does
    not allow the action (revoked is final)."""
    licence = await session.get(Licence, reference, with_for_update=True)
    if licence is None:
        raise LookupError(reference)
    previous = licence.state
    target = TRANSITIONS[action].get(previous)
    if target is None:
        raise StateConflict(f"licence {reference} is {previous}; it cannot be {_past(action)}")
    licence.state, licence.state_reason = target, reason
    licence.state_changed_at, licence.state_changed_by = utcnow(), by
    session.add(licence)
    await audit(session, reference, f"licence_{_past(action)}", by, reason=reason, previous=previous, state=target)
    await session.commit()
    return await _view(session, reference)


def _past(action: str) -> str:
    return {"suspend": "suspended", "reinstate": "reinstated", "revoke": "revoked"}[action]


async def amend(session: AsyncSession, reference: str, amendment: LicenceAmendment, *, by: str) -> LicenceView:
    """New validity, destinations or line totals (a line's remaining balance moves by the same amount), new lines;
    audited. AmendmentRefused names the field when a total falls below what is already taken."""
    licence = await session.get(Licence, reference, with_for_update=True)
    if licence is None:
        raise LookupError(reference)
    if licence.state == "revoked":
        raise StateConflict(f"licence {reference} is revoked; it cannot be amended")
    valid_from = amendment.valid_from or licence.valid_from
    valid_until = amendment.valid_until or licence.valid_until
    if valid_until < valid_from:
        raise AmendmentRefused("valid_until must not be before valid_from", ("valid_until",))
    licence.valid_from, licence.valid_until = valid_from, valid_until
    if amendment.destinations is not None:
        licence.destinations = list(dict.fromkeys(amendment.destinations))
    session.add(licence)
    lines = {
        i.line: i
        for i in (await session.exec(select(LicenceItem).where(LicenceItem.licence_reference == reference))).all()
    }
    next_line = max(lines, default=0) + 1
    for index, change in enumerate(amendment.items or []):
        if change.line is None:
            session.add(_new_line(reference, next_line, change))
            next_line += 1
            continue
        item = lines.get(change.line)
        if item is None:
            raise AmendmentRefused(f"licence {reference} has no line {change.line}", ("items", index, "line"))
        _retotal(item, change, index)
        session.add(item)
    await audit(session, reference, "licence_amended", by, **amendment.model_dump(mode="json"))
    await session.commit()
    return await _view(session, reference)


def _new_line(reference: str, line: int, change: Any) -> LicenceItem:
    quantity = licence_store._milli(change.quantity.value) if change.quantity else None
    value = licence_store._cents(change.value.amount) if change.value else None
    return LicenceItem(
        licence_reference=reference,
        line=line,
        control_code=change.control_code,
        commodity_code=change.commodity_code,
        quantity_unit=change.quantity.unit if change.quantity else None,
        quantity_milli=quantity,
        remaining_quantity_milli=quantity,
        value_currency=change.value.currency if change.value else None,
        value_cents=value,
        remaining_value_cents=value,
    )


def _retotal(item: LicenceItem, change: Any, index: int) -> None:
    if change.quantity is not None:
        if item.quantity_milli is None or change.quantity.unit != item.quantity_unit:
            raise AmendmentRefused(
                f"line {item.line} is not limited in {change.quantity.unit}", ("items", index, "quantity", "unit")
            )
        total = licence_store._milli(change.quantity.value)
        used = item.quantity_milli - (item.remaining_quantity_milli or 0)
        if total < used:
            raise AmendmentRefused(
                f"line {item.line}: {licence_store._from_milli(used)} already taken; the total cannot be less",
                ("items", index, "quantity", "value"),
            )
        item.quantity_milli, item.remaining_quantity_milli = total, total - used
    if change.value is not None:
        if item.value_cents is None or change.value.currency != item.value_currency:
            raise AmendmentRefused(
                f"line {item.line} is not limited in {change.value.currency}", ("items", index, "value", "currency")
            )
        total = licence_store._cents(change.value.amount)
        used = item.value_cents - (item.remaining_value_cents or 0)
        if total < used:
            raise AmendmentRefused(
                f"line {item.line}: {licence_store._from_cents(used)} already taken; the total cannot be less",
                ("items", index, "value", "amount"),
            )
        item.value_cents, item.remaining_value_cents = total, total - used


async def _view(session: AsyncSession, reference: str) -> LicenceView:
    view = await licence_store.get_view(session, reference, today=date.today())
    assert view is not None
    return view


async def issuer_of(session: AsyncSession, reference: str) -> str | None:
    licence = await session.get(Licence, reference)
    return None if licence is None else licence.issuer_agency


async def agencies_using(session: AsyncSession, reference: str) -> set[str]:
    """The agencies whose clearances depleted the licence (restored depletions included: they used it) or named it
    in their declaration."""
    rows = await session.exec(
        select(ClearanceRecord.agency)
        .join(LicenceDepletion, col(LicenceDepletion.mrn) == col(ClearanceRecord.mrn))
        .where(LicenceDepletion.licence_reference == reference)
        .distinct()
    )
    named = await session.exec(
        select(ClearanceRecord.agency)
        .join(LicenceUse, col(LicenceUse.mrn) == col(ClearanceRecord.mrn))
        .where(LicenceUse.licence_reference == reference)
        .distinct()
    )
    return set(rows.all()) | set(named.all())


def ledger(view: LicenceView) -> LicenceLedger:
    """Every depletion and restoration in time order, with each line's balance after it: the line's current
    total less what is taken at that point."""
    moves: list[tuple[Any, int, int, DepletionView]] = [
        (d.depleted_at, n, -1, d) for n, d in enumerate(view.depletions)
    ]
    moves += [(d.restored_at, n, +1, d) for n, d in enumerate(view.depletions) if d.restored_at is not None]
    moves.sort(key=lambda m: (m[0], m[2], m[1]))
    items = {i.line: i for i in view.items}
    taken: dict[int, list[Decimal]] = {}  # per line: quantity, value taken so far
    entries: list[LedgerEntry] = []
    for at, _, sign, d in moves:
        spent = taken.setdefault(d.line, [Decimal(0), Decimal(0)])
        spent[0] -= sign * (d.quantity or 0)
        spent[1] -= sign * (d.value or 0)
        entries.append(
            LedgerEntry(
                at=at,
                kind="depletion" if sign < 0 else "restoration",
                mrn=d.mrn,
                item_sequence=d.item_sequence,
                line=d.line,
                quantity=d.quantity,
                value=d.value,
                balance_after=_balance_after(items.get(d.line), spent),
            )
        )
    return LicenceLedger(
        reference=view.reference, issuer_agency=view.issuer_agency, state=view.state, items=view.items, entries=entries
    )


def _balance_after(item: LicenceItemView | None, spent: list[Decimal]) -> Balance:
    # model_construct: a spent balance is zero, which a declared quantity may not be.
    if item is None:
        return Balance()
    quantity = (
        Quantity.model_construct(value=item.quantity.value - spent[0], unit=item.quantity.unit)
        if item.quantity
        else None
    )
    value = (
        Money.model_construct(amount=item.value.amount - spent[1], currency=item.value.currency) if item.value else None
    )
    return Balance(quantity=quantity, value=value)


async def references_issued_by(session: AsyncSession, agency: str, limit: int = 200) -> list[str]:
    rows = await session.exec(
        select(Licence.reference)
        .where(Licence.issuer_agency == agency)
        .order_by(col(Licence.created_at).desc())
        .limit(limit)
    )
    return list(rows.all())
