"""The representation register (who may lodge for which exporter) and the trade standing recorded when a
declaration is lodged (representation applied, the AEO register's answer against the declaration's claim). Shared
by the JSON API (`api/routes/representations.py`, `api/routes/declarations.py`) and the console."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from api.errors import ApiError, check, invalid, not_found
from domain import policy
from domain.declaration import Declaration
from domain.trade import AeoApplied, RepresentationCreate, RepresentationView, TradeStanding, aeo_applies
from store import agencies as agency_store
from store import register_audit, trade
from store.db import Database
from store.models import Principal


async def register(*, session: AsyncSession, principal: Principal, request: RepresentationCreate) -> RepresentationView:
    check(policy.may_manage_representations(principal))
    if request.declarant_eori == request.exporter_eori:
        raise invalid(["body", "exporter_eori"], "a declarant lodging for itself needs no representation")
    created = await trade.create(session, request, by=principal.id, agency=principal.agency)
    await _audit(session, created, "representation_registered", principal.id)
    return created


async def listing(
    *, session: AsyncSession, principal: Principal, declarant_eori: str | None, exporter_eori: str | None
) -> list[RepresentationView]:
    """Officers see the register; a declarant only its own representations."""
    check(policy.may_read_representations(principal))
    if not policy.is_reader(principal) and "customs_officer" not in principal.roles:
        declarant_eori = principal.eori or "-"
    return await trade.listing(session, declarant_eori=declarant_eori, exporter_eori=exporter_eori)


async def remove(*, session: AsyncSession, principal: Principal, representation_id: str) -> RepresentationView:
    check(policy.may_manage_representations(principal))
    row = await trade.get(session, representation_id)
    if row is None or row.agency != principal.agency:
        raise not_found(f"representation {representation_id}")
    if row.removed_at is not None:
        raise ApiError(409, f"representation {representation_id} was removed already")
    removed = await trade.remove(session, row, by=principal.id)
    await _audit(session, removed, "representation_removed", principal.id)
    return removed


async def _audit(session: AsyncSession, entry: RepresentationView, kind: str, actor: str) -> None:
    """The register's decisions on the audit log, chained per entry (`store.register_audit`)."""
    detail = entry.model_dump(mode="json", include={"id", "declarant_eori", "exporter_eori", "kind", "valid_from"})
    await register_audit.append(session, register_audit.subject_key("REP", entry.id), kind, actor, detail)
    await session.commit()


async def standing(
    *, db: Database, principal: Principal, declaration: Declaration, agency: str, on: date
) -> TradeStanding:
    """May the declarant lodge for this exporter (403 naming only its own standing), and is the exporter an AEO
    by the register (the declaration's `aeo` claim is recorded, never applied)."""
    exporter = declaration.exporter.eori
    representation = None
    if principal.eori != exporter:
        representation = await trade.read_in_force(db, declaration.declarant.eori, exporter, on)
    check(policy.may_lodge_for(principal, exporter, representation is not None))
    home_country = await agency_store.read_country(db, agency)
    entry = await trade.read_aeo(db, exporter)
    applied = aeo_applies(entry, home_country or "")
    return TradeStanding(
        representation="self" if representation is None else representation.kind,  # type: ignore[arg-type]
        representation_id=representation.id if representation else None,
        aeo=AeoApplied(
            claimed=declaration.aeo,
            applied=applied,
            aeo_type=entry.aeo_type if entry else None,
            issuing_country=entry.issuing_country if entry else None,
            mra_recognised=entry.mra_recognised if entry else None,
        ),
    )
