"""The representation and AEO registers on the store (`domain.trade`), and their seed from
`reference/trade-registers.yaml` (idempotent: a seeded entry keeps its id, derived from its content)."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import bindparam
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.trade import AeoEntry, RepresentationCreate, RepresentationView
from store.db import Database
from store.models import AeoRegistration, Representation, utcnow

SEED_NAMESPACE = uuid.UUID("6a1d3c2e-5b4f-4e0a-9c7d-2f8e1b0a4c61")


def to_view(row: Representation) -> RepresentationView:
    return RepresentationView.model_validate(row.model_dump())


async def create(
    session: AsyncSession, request: RepresentationCreate, *, by: str, agency: str, id: str | None = None
) -> RepresentationView:
    row = Representation(id=id or str(uuid.uuid4()), agency=agency, created_by=by, **request.model_dump())
    session.add(row)
    await session.commit()
    return to_view(row)


async def get(session: AsyncSession, representation_id: str) -> Representation | None:
    return await session.get(Representation, representation_id)


async def remove(session: AsyncSession, row: Representation, *, by: str) -> RepresentationView:
    row.removed_at, row.removed_by = utcnow(), by
    session.add(row)
    await session.commit()
    return to_view(row)


async def listing(
    session: AsyncSession, *, declarant_eori: str | None = None, exporter_eori: str | None = None
) -> list[RepresentationView]:
    query = select(Representation).order_by(col(Representation.created_at))
    if declarant_eori:
        query = query.where(Representation.declarant_eori == declarant_eori)
    if exporter_eori:
        query = query.where(Representation.exporter_eori == exporter_eori)
    return [to_view(r) for r in (await session.exec(query)).all()]


_IN_FORCE = (
    select(Representation.__table__)  # type: ignore[attr-defined]
    .where(
        Representation.declarant_eori == bindparam("declarant"),
        Representation.exporter_eori == bindparam("exporter"),
        col(Representation.removed_at).is_(None),
        col(Representation.valid_from) <= bindparam("on"),
        or_(col(Representation.valid_until).is_(None), col(Representation.valid_until) >= bindparam("on")),
    )
    .order_by(col(Representation.created_at))
    .limit(1)
)
_AEO_BY_EORI = select(AeoRegistration.__table__).where(  # type: ignore[attr-defined]
    AeoRegistration.eori == bindparam("eori")
)


async def read_in_force(db: Database, declarant_eori: str, exporter_eori: str, on: date) -> Any | None:
    """The representation that lets `declarant_eori` lodge for `exporter_eori` on `on`, if any (not removed), as a
    row (Representation's attributes), on lodging's path (`Database.rows`)."""
    found = await db.rows(_IN_FORCE, {"declarant": declarant_eori, "exporter": exporter_eori, "on": on})
    return found[0] if found else None


async def read_aeo(db: Database, eori: str) -> AeoEntry | None:
    """The exporter's AEO registration, on lodging's path (`Database.rows`)."""
    found = await db.rows(_AEO_BY_EORI, {"eori": eori})
    return _aeo_entry(found[0] if found else None)


def _aeo_entry(row: Any) -> AeoEntry | None:
    if row is None:
        return None
    return AeoEntry(
        eori=row.eori,
        aeo_type=row.aeo_type,  # type: ignore[arg-type]
        status=row.status,  # type: ignore[arg-type]
        issuing_country=row.issuing_country,
        mra_recognised=row.mra_recognised,
    )


async def put_aeo(session: AsyncSession, entry: AeoEntry) -> None:
    row = await session.get(AeoRegistration, entry.eori) or AeoRegistration(
        eori=entry.eori, aeo_type=entry.aeo_type, status=entry.status, issuing_country=entry.issuing_country
    )
    row.aeo_type, row.status, row.issuing_country = entry.aeo_type, entry.status, entry.issuing_country
    row.mra_recognised, row.updated_at = entry.mra_recognised, utcnow()
    session.add(row)


async def load(session: AsyncSession, path: Path) -> None:
    """Seed both registers from the file (`representations: [...]` with `agency`, `aeo: [...]`)."""
    data = yaml.safe_load(path.read_text()) or {}
    for item in data.get("aeo", []):
        await put_aeo(session, AeoEntry.model_validate(item))
    await session.commit()
    for item in data.get("representations", []):
        agency = item.pop("agency")
        request = RepresentationCreate.model_validate(item)
        seeded_id = str(uuid.uuid5(SEED_NAMESPACE, request.model_dump_json()))
        if await session.get(Representation, seeded_id) is None:
            await create(session, request, by="seed", agency=agency, id=seeded_id)
