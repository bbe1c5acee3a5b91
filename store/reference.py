"""Export-control reference data: the commodity-code → control-list table and embargoed destinations."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.db import upsert
from store.models import ControlListRule, Embargo


@dataclass(frozen=True)
class Classification:
    control_code: str
    description: str


async def load_control_list(session: AsyncSession, path: Path) -> int:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    dialect = session.get_bind().dialect.name
    for row in rows:
        stmt = upsert(dialect, ControlListRule).values(**row)
        await session.exec(stmt.on_conflict_do_update(  # type: ignore[call-overload]
            index_elements=["commodity_prefix"],
            set_={"control_code": stmt.excluded.control_code, "description": stmt.excluded.description},
        ))
    await session.commit()
    return len(rows)


async def load_embargoes(session: AsyncSession, path: Path) -> int:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    dialect = session.get_bind().dialect.name
    for row in rows:
        stmt = upsert(dialect, Embargo).values(**row)
        await session.exec(stmt.on_conflict_do_update(  # type: ignore[call-overload]
            index_elements=["country"], set_={"scope": stmt.excluded.scope, "regime": stmt.excluded.regime},
        ))
    await session.commit()
    return len(rows)


async def classify(session: AsyncSession, commodity_codes: list[str]) -> dict[str, Classification]:
    """Longest-prefix classification of each commodity code that the control list covers."""
    prefixes = {code[:n] for code in commodity_codes for n in range(4, len(code) + 1, 2)}
    if not prefixes:
        return {}
    result = await session.exec(select(ControlListRule).where(ControlListRule.commodity_prefix.in_(prefixes)))  # type: ignore[attr-defined]
    rules = {r.commodity_prefix: r for r in result.all()}
    found: dict[str, Classification] = {}
    for code in commodity_codes:
        for n in range(len(code), 3, -1):
            rule = rules.get(code[:n])
            if rule is not None:
                found[code] = Classification(rule.control_code, rule.description)
                break
    return found


async def embargo_for(session: AsyncSession, country: str) -> Embargo | None:
    return await session.get(Embargo, country)
