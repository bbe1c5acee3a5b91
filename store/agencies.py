"""The agency registry in the database: loaded from `reference/agencies.yaml` (idempotent upsert; keys added at
run time, such as this administration's own signing key, are kept), read by id, by kind and by the country an
agency acts for."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.agencies import Agency, AgencyKey
from store.db import Database
from store.models import AgencyRecord, utcnow

_COUNTRY = select(AgencyRecord.country).where(AgencyRecord.id == bindparam("id"))


def to_agency(row: AgencyRecord) -> Agency:
    return Agency.model_validate(
        {
            "id": row.id,
            "kind": row.kind,
            "country": row.country,
            "name": row.name,
            "countries": list(row.countries or []),
            "keys": list(row.keys or []),
            "endpoint": row.endpoint,
        }
    )


def _merged_keys(kept: list[dict], declared: list[AgencyKey]) -> list[dict]:
    by_id = {k["key_id"]: k for k in kept}
    for key in declared:
        by_id[key.key_id] = key.model_dump()
    return list(by_id.values())


async def upsert(session: AsyncSession, agency: Agency) -> AgencyRecord:
    row = await session.get(AgencyRecord, agency.id)
    if row is None:
        row = AgencyRecord(id=agency.id, kind=agency.kind, country=agency.country, name=agency.name)
        row.keys = []
    row.kind, row.country, row.name = agency.kind, agency.country, agency.name
    row.countries = list(agency.countries)
    row.keys = _merged_keys(list(row.keys or []), agency.keys)
    row.endpoint = agency.endpoint
    row.updated_at = utcnow()
    session.add(row)
    return row


async def add_key(session: AsyncSession, agency_id: str, key: AgencyKey) -> None:
    """Publish a signing key of an agency (a key id already there is replaced)."""
    row = await session.get(AgencyRecord, agency_id)
    if row is None:
        raise KeyError(agency_id)
    row.keys = _merged_keys(list(row.keys or []), [key])
    row.updated_at = utcnow()
    session.add(row)


async def load(session: AsyncSession, agencies: list[Agency]) -> list[str]:
    for agency in agencies:
        await upsert(session, agency)
    await session.commit()
    return [a.id for a in agencies]


async def get(session: AsyncSession, agency_id: str) -> Agency | None:
    row = await session.get(AgencyRecord, agency_id)
    return to_agency(row) if row is not None else None


async def read_country(db: Database, agency_id: str) -> str | None:
    """An agency's country, on lodging's path (`Database.rows`)."""
    found = await db.rows(_COUNTRY, {"id": agency_id})
    return str(found[0][0]) if found else None


async def all_agencies(session: AsyncSession) -> list[Agency]:
    rows = (await session.exec(select(AgencyRecord).order_by(AgencyRecord.id))).all()
    return [to_agency(r) for r in rows]


async def of_kind(session: AsyncSession, kind: str) -> list[Agency]:
    return [a for a in await all_agencies(session) if a.kind == kind]


async def partner_for_country(session: AsyncSession, country: str) -> Agency | None:
    """The partner customs administration that acts for `country`, if the registry has one."""
    return partner_among(await all_agencies(session), country)


def partner_among(agencies: Iterable[Agency], country: str) -> Agency | None:
    for agency in sorted(agencies, key=lambda a: a.id):
        if agency.kind == "partner_customs" and country.upper() in agency.acts_for:
            return agency
    return None


async def export_control_for(session: AsyncSession, country: str) -> Agency | None:
    """The export-control authority that acts for `country` (the clearance's office of export), if registered."""
    for agency in await of_kind(session, "export_control"):
        if country.upper() in agency.acts_for:
            return agency
    return None
