"""Licence registry on the store: registration, balances, and depletion exactly once per goods item.

Exactly once: the depletion row is unique per (MRN, goods item) and is written in the same transaction as the
conditional balance update, so a retried or concurrent call finds the first depletion instead of taking twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.declaration import Money, Quantity
from domain.licence import (
    Balance,
    DepletionRequest,
    DepletionResult,
    DepletionView,
    LicenceCreate,
    LicenceItemView,
    LicenceView,
)
from store.db import upsert
from store.models import Licence, LicenceDepletion, LicenceItem, LicenceUse, utcnow


class LicenceExists(Exception):
    pass


def _milli(value: Decimal) -> int:
    return int((value * 1000).to_integral_value())


def _cents(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


def _from_milli(value: int | None) -> Decimal | None:
    return None if value is None else (Decimal(value) / 1000).quantize(Decimal("0.001"))


def _from_cents(value: int | None) -> Decimal | None:
    return None if value is None else (Decimal(value) / 100).quantize(Decimal("0.01"))


async def register(session: AsyncSession, licence: LicenceCreate, *, by: str, issuer_agency: str) -> LicenceView:
    if await session.get(Licence, licence.reference) is not None:
        raise LicenceExists(licence.reference)
    session.add(
        Licence(
            reference=licence.reference,
            holder_eori=licence.holder_eori,
            destinations=licence.destinations,
            valid_from=licence.valid_from,
            valid_until=licence.valid_until,
            created_by=by,
            issuer_agency=issuer_agency,
        )
    )
    await session.flush()
    for line, item in enumerate(licence.items, start=1):
        quantity = _milli(item.quantity.value) if item.quantity else None
        value = _cents(item.value.amount) if item.value else None
        session.add(
            LicenceItem(
                licence_reference=licence.reference,
                line=line,
                control_code=item.control_code,
                commodity_code=item.commodity_code,
                quantity_unit=item.quantity.unit if item.quantity else None,
                quantity_milli=quantity,
                remaining_quantity_milli=quantity,
                value_currency=item.value.currency if item.value else None,
                value_cents=value,
                remaining_value_cents=value,
            )
        )
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise LicenceExists(licence.reference) from exc
    view = await get_view(session, licence.reference, today=date.today())
    assert view is not None
    return view


async def get_view(session: AsyncSession, reference: str, *, today: date) -> LicenceView | None:
    licence = await session.get(Licence, reference)
    if licence is None:
        return None
    items = (
        await session.exec(
            select(LicenceItem).where(LicenceItem.licence_reference == reference).order_by(col(LicenceItem.line))
        )
    ).all()
    depletions = (
        await session.exec(
            select(LicenceDepletion)
            .where(LicenceDepletion.licence_reference == reference)
            .order_by(col(LicenceDepletion.depleted_at), col(LicenceDepletion.id))
        )
    ).all()
    status = "not_yet_valid" if today < licence.valid_from else "expired" if today > licence.valid_until else "valid"
    return LicenceView(
        reference=licence.reference,
        holder_eori=licence.holder_eori,
        issuer_agency=licence.issuer_agency,
        destinations=licence.destinations,
        valid_from=licence.valid_from,
        valid_until=licence.valid_until,
        status=status,
        state=licence.state,  # type: ignore[arg-type]
        state_reason=licence.state_reason,
        state_changed_at=licence.state_changed_at,
        state_changed_by=licence.state_changed_by,
        created_at=licence.created_at,
        items=[
            LicenceItemView(
                line=i.line,
                control_code=i.control_code,
                commodity_code=i.commodity_code,
                quantity=_quantity(i.quantity_milli, i.quantity_unit),
                value=_money(i.value_cents, i.value_currency),
                remaining=Balance(
                    quantity=_quantity(i.remaining_quantity_milli, i.quantity_unit),
                    value=_money(i.remaining_value_cents, i.value_currency),
                ),
            )
            for i in items
        ],
        depletions=[
            DepletionView(
                mrn=d.mrn,
                item_sequence=d.item_sequence,
                line=d.line,
                quantity=_from_milli(d.quantity_milli),
                value=_from_cents(d.value_cents),
                depleted_at=d.depleted_at,
                restored_at=d.restored_at,
                restore_reason=d.restore_reason,
            )
            for d in depletions
        ],
    )


def _quantity(milli: int | None, unit: str | None) -> Quantity | None:
    # model_construct: a spent balance is zero, which a declared quantity may not be.
    if milli is None or unit is None:
        return None
    return Quantity.model_construct(value=(Decimal(milli) / 1000).quantize(Decimal("0.001")), unit=unit)


def _money(cents: int | None, currency: str | None) -> Money | None:
    if cents is None or currency is None:
        return None
    return Money.model_construct(amount=(Decimal(cents) / 100).quantize(Decimal("0.01")), currency=currency)


def _result(d: LicenceDepletion) -> DepletionResult:
    return DepletionResult(
        covered=True,
        licence_reference=d.licence_reference,
        line=d.line,
        quantity=_from_milli(d.quantity_milli),
        value=_from_cents(d.value_cents),
    )


async def _record_use(session: AsyncSession, reference: str, mrn: str) -> None:
    """The clearance named this licence (committed with the depletion, or on its own when none is taken)."""
    dialect = session.get_bind().dialect.name
    statement = upsert(dialect, LicenceUse.__table__).values(licence_reference=reference, mrn=mrn)  # type: ignore[attr-defined]
    await session.exec(statement.on_conflict_do_nothing())  # type: ignore[call-overload]
    await session.commit()


async def _existing(session: AsyncSession, mrn: str, sequence: int) -> LicenceDepletion | None:
    result = await session.exec(
        select(LicenceDepletion).where(LicenceDepletion.mrn == mrn, LicenceDepletion.item_sequence == sequence)
    )
    return result.first()


@dataclass(frozen=True)
class _Line:
    """A candidate licence line as plain values: a rollback expires ORM objects, and touching an expired attribute
    in an async session is I/O where none may happen (MissingGreenlet), so the loop never holds ORM objects."""

    id: int
    reference: str
    state: str
    line: int
    destinations: tuple[str, ...]
    commodity_code: str | None
    quantity_unit: str | None
    remaining_quantity_milli: int | None
    value_currency: str | None
    remaining_value_cents: int | None


async def _candidates(session: AsyncSession, request: DepletionRequest) -> list[_Line]:
    query = (
        select(LicenceItem, Licence)
        .join(Licence)
        .where(
            Licence.holder_eori == request.holder_eori,
            LicenceItem.control_code == request.control_code,
            col(Licence.valid_from) <= request.on,
            col(Licence.valid_until) >= request.on,
        )
        .order_by(col(Licence.valid_until), col(LicenceItem.id))
    )
    if request.licence_reference:
        query = query.where(Licence.reference == request.licence_reference)
    return [
        _Line(
            id=item.id or 0,
            reference=licence.reference,
            state=licence.state,
            line=item.line,
            destinations=tuple(licence.destinations),
            commodity_code=item.commodity_code,
            quantity_unit=item.quantity_unit,
            remaining_quantity_milli=item.remaining_quantity_milli,
            value_currency=item.value_currency,
            remaining_value_cents=item.remaining_value_cents,
        )
        for item, licence in (await session.exec(query)).all()
    ]


async def deplete(session: AsyncSession, request: DepletionRequest) -> DepletionResult:
    """Find a licence that covers the goods item and take its quantity and value from the balance, once."""
    if request.licence_reference:
        await _record_use(session, request.licence_reference, request.mrn)
    existing = await _existing(session, request.mrn, request.item_sequence)
    if existing is not None:
        return _result(existing)
    candidates = await _candidates(session, request)
    quantity = _milli(request.quantity.value) if request.quantity else None
    value = _cents(request.value.amount)
    reasons: list[str] = []
    for item in candidates:
        reason = _unfit(item, request, quantity, value)
        if reason:
            reasons.append(f"{item.reference} line {item.line}: {reason}")
            continue
        taken_quantity = quantity if item.remaining_quantity_milli is not None else None
        taken_value = value if item.remaining_value_cents is not None else None
        # The licence's state is checked in the same statement: a suspension committed after the candidates were
        # read stops this depletion (nothing taken, the next candidate is tried).
        active = select(Licence.reference).where(col(Licence.state) == "active")
        stmt = update(LicenceItem).where(col(LicenceItem.id) == item.id, col(LicenceItem.licence_reference).in_(active))
        if taken_quantity is not None:
            stmt = stmt.where(col(LicenceItem.remaining_quantity_milli) >= taken_quantity).values(
                remaining_quantity_milli=col(LicenceItem.remaining_quantity_milli) - taken_quantity
            )
        if taken_value is not None:
            stmt = stmt.where(col(LicenceItem.remaining_value_cents) >= taken_value).values(
                remaining_value_cents=col(LicenceItem.remaining_value_cents) - taken_value
            )
        if taken_quantity is None and taken_value is None:
            stmt = stmt.values(line=item.line)  # unlimited licence item: nothing to take, still record use
        if (await session.exec(stmt)).rowcount != 1:  # type: ignore[call-overload]
            await session.rollback()
            # Perhaps by a concurrent attempt for this very goods item: then that depletion is the answer.
            existing = await _existing(session, request.mrn, request.item_sequence)
            if existing is not None:
                return _result(existing)
            reasons.append(
                f"{item.reference} line {item.line}: balance taken by another clearance or licence suspended"
            )
            continue
        depletion = LicenceDepletion(
            licence_reference=item.reference,
            line=item.line,
            mrn=request.mrn,
            item_sequence=request.item_sequence,
            quantity_milli=taken_quantity,
            value_cents=taken_value,
        )
        session.add(depletion)
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()  # a concurrent attempt for the same goods item won: use its depletion
            existing = await _existing(session, request.mrn, request.item_sequence)
            if existing is not None:
                return _result(existing)
            raise
        return _result(depletion)
    existing = await _existing(session, request.mrn, request.item_sequence)
    if existing is not None:  # a concurrent attempt for this goods item took the balance between our reads
        return _result(existing)
    if not candidates:
        named = f"licence {request.licence_reference}" if request.licence_reference else "no licence"
        reasons.append(
            f"{named} for holder {request.holder_eori}, control code {request.control_code}, "
            f"valid on {request.on.isoformat()}"
        )
    return DepletionResult(covered=False, reason="; ".join(reasons))


def _unfit(item: _Line, request: DepletionRequest, quantity: int | None, value: int) -> str | None:
    if item.state != "active":
        return f"licence {item.state} by its issuing authority"
    if request.destination not in item.destinations:
        return f"destination {request.destination} not licensed"
    if item.commodity_code and not request.commodity_code.startswith(item.commodity_code):
        return f"commodity code {request.commodity_code} not covered"
    if item.remaining_quantity_milli is not None:
        if quantity is None or request.quantity is None or request.quantity.unit != item.quantity_unit:
            return f"quantity must be declared in {item.quantity_unit}"
        if quantity > item.remaining_quantity_milli:
            return f"remaining quantity {_from_milli(item.remaining_quantity_milli)} too small"
    if item.remaining_value_cents is not None:
        if request.value.currency != item.value_currency:
            return f"value must be declared in {item.value_currency}"
        if value > item.remaining_value_cents:
            return f"remaining value {_from_cents(item.remaining_value_cents)} too small"
    return None


async def restore(session: AsyncSession, *, mrn: str, reason: str) -> int:
    """Give back what a clearance took when it ends without release; idempotent."""
    rows = (
        await session.exec(
            select(LicenceDepletion).where(LicenceDepletion.mrn == mrn, col(LicenceDepletion.restored_at).is_(None))
        )
    ).all()
    restored = 0
    for d in rows:
        marked = await session.exec(  # type: ignore[call-overload]
            update(LicenceDepletion)
            .where(col(LicenceDepletion.id) == d.id, col(LicenceDepletion.restored_at).is_(None))
            .values(restored_at=utcnow(), restore_reason=reason[:400])
        )
        if marked.rowcount != 1:
            continue
        values: dict[str, object] = {}
        if d.quantity_milli is not None:
            values["remaining_quantity_milli"] = col(LicenceItem.remaining_quantity_milli) + d.quantity_milli
        if d.value_cents is not None:
            values["remaining_value_cents"] = col(LicenceItem.remaining_value_cents) + d.value_cents
        if values:
            await session.exec(
                update(LicenceItem)
                .where(col(LicenceItem.licence_reference) == d.licence_reference, col(LicenceItem.line) == d.line)
                .values(**values)
            )
        restored += 1
    await session.commit()
    return restored
