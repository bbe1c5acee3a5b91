"""Export-control reference data: the commodity-code → control-list table and embargoed destinations."""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.db import Database, upsert
from store.models import ControlListRule, Embargo


@dataclass(frozen=True)
class Classification:
    control_code: str
    description: str


async def _load_csv(session: AsyncSession, path: Path, table: type[SQLModel], key: str) -> int:
    """Upsert every row of a CSV file whose header names the table's columns."""
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    dialect = session.get_bind().dialect.name
    for row in rows:
        stmt = upsert(dialect, table).values(**row)
        await session.exec(
            stmt.on_conflict_do_update(  # type: ignore[call-overload]
                index_elements=[key], set_={column: stmt.excluded[column] for column in row if column != key}
            )
        )
    await session.commit()
    return len(rows)


async def load_control_list(session: AsyncSession, path: Path) -> int:
    return await _load_csv(session, path, ControlListRule, "commodity_prefix")


async def load_embargoes(session: AsyncSession, path: Path) -> int:
    return await _load_csv(session, path, Embargo, "country")


@dataclass(frozen=True)
class ReferenceData:
    """The control list and the embargoes, small enough to hold in memory and classify without a query."""

    rules: dict[str, Classification]
    embargoes: dict[str, Embargo]

    def classify(self, commodity_codes: list[str]) -> dict[str, Classification]:
        """Longest-prefix classification of each commodity code that the control list covers."""
        found: dict[str, Classification] = {}
        for code in commodity_codes:
            for n in range(len(code), 3, -1):
                rule = self.rules.get(code[:n])
                if rule is not None:
                    found[code] = rule
                    break
        return found

    def embargo_for(self, country: str) -> Embargo | None:
        return self.embargoes.get(country)


async def load(session: AsyncSession) -> ReferenceData:
    rules = (await session.exec(select(ControlListRule))).all()
    embargoes = (await session.exec(select(Embargo))).all()
    return ReferenceData(
        rules={r.commodity_prefix: Classification(r.control_code, r.description) for r in rules},
        embargoes={e.country: e for e in embargoes},
    )


class ReferenceCache:
    """Reference data as of at most `ttl` seconds ago: it changes with a reference-data load, not per clearance,
    and reading it once per clearance was a tenth of the green lane's cost."""

    def __init__(self, db: Database, ttl: float = 30.0) -> None:
        self._db, self._ttl = db, ttl
        self._data: ReferenceData | None = None
        self._loaded_at = 0.0

    async def get(self) -> ReferenceData:
        if self._data is None or time.monotonic() - self._loaded_at > self._ttl:
            async with self._db.session() as session:
                self._data = await load(session)
            self._loaded_at = time.monotonic()
        return self._data
