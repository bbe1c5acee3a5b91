"""Delta screening activities: after a list import, screen the clearances that were screened on an older revision
against only the entries that import added or changed, one bounded page at a time.

The delta index holds a handful of entries, so building it is cheap (it is kept for the few imports in progress);
each page of read models is screened off the event loop."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

import structlog
from temporalio import activity

from domain.clearance import ClearanceSubject, ScreeningMatch
from domain.declaration import Declaration
from domain.rescreen import (
    ClearanceHit,
    PartyHit,
    RecordRescreenInput,
    RescreenHit,
    RescreenPage,
    RescreenPageInput,
)
from screening.index import ScreeningIndex
from sop.model import ScreeningStep
from store import agencies, rescreening, screening_lists, sops
from store.db import Database
from store.models import ClearanceRecord
from workflows import options

log = structlog.get_logger("activities.rescreen")

DEFAULT_THRESHOLD = 88.0
KEPT_INDEXES = 4


def screened_revision(view: dict[str, Any], list_name: str) -> int:
    """The revision of `list_name` the clearance was screened on; 0 when it did not record one (older views)."""
    screening = view.get("screening") or {}
    return int((screening.get("list_revisions") or {}).get(list_name, 0))


def known_matches(view: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    """(list, entry id) per party role that the clearance has already seen: in its screening or a re-screening."""
    known: dict[str, set[tuple[str, str]]] = {}
    for party in (view.get("screening") or {}).get("parties", []):
        known.setdefault(party["role"], set()).update((m["list"], m["entry_id"]) for m in party.get("matches", []))
    for entry in view.get("rescreening", []):
        known.setdefault(entry["party"], set()).update((entry["list"], e) for e in entry["entries"])
    return known


def screen_view(
    view: dict[str, Any], *, index: ScreeningIndex, list_name: str, revision: int, threshold: float
) -> RescreenHit | None:
    """New possible matches of the clearance's parties among the delta's entries, or None.

    A clearance already screened on `revision` (or later) is left alone, and so is a match it has seen before."""
    if screened_revision(view, list_name) >= revision or not view.get("declaration"):
        return None
    known = known_matches(view)
    declaration = Declaration.model_validate(view["declaration"])
    parties = []
    for role, party in declaration.parties():
        country = getattr(party, "country", None)
        found = index.search(party.name, country, min_score=threshold)
        new = [m for m in found if m.list == list_name and (m.list, m.entry_id) not in known.get(role, set())]
        if new:
            matches = [
                ScreeningMatch(
                    list=m.list,
                    entry_id=m.entry_id,
                    name=m.name,
                    score=m.score,
                    matched_alias=m.matched_alias,
                    programs=list(m.programs),
                    country=m.country,
                )
                for m in new
            ]
            parties.append(PartyHit(role=role, name=party.name, country=country, matches=matches))
    return RescreenHit(list=list_name, revision=revision, parties=parties) if parties else None


def subject_of_record(row: ClearanceRecord) -> ClearanceSubject:
    return ClearanceSubject(
        mrn=row.mrn,
        lrn=row.lrn,
        agency=row.agency,
        declarant_eori=row.declarant_eori,
        status=row.status,
        lane=row.lane,
        outcome=row.outcome,
    )


class RescreenActivities:
    def __init__(self, *, db: Database) -> None:
        self._db = db
        self._indexes: OrderedDict[tuple[str, int], ScreeningIndex] = OrderedDict()
        self._thresholds: dict[tuple[str, int], float] = {}

    def all(self) -> list[Callable[..., Any]]:
        return [self.rescreen_page, self.record_rescreen]

    async def _delta_index(self, list_name: str, revision: int) -> ScreeningIndex:
        key = (list_name, revision)
        if key not in self._indexes:
            async with self._db.session() as session:
                entries = await screening_lists.changed_entries(session, name=list_name, revision=revision)
            self._indexes[key] = await asyncio.to_thread(ScreeningIndex, entries)
            while len(self._indexes) > KEPT_INDEXES:
                self._indexes.popitem(last=False)
        return self._indexes[key]

    async def _threshold(self, rows: Iterable[ClearanceRecord]) -> dict[tuple[str, int], float]:
        """The review threshold of each SOP version's screening step (the one the clearance was screened at)."""
        missing = {(r.sop_name, r.sop_version) for r in rows} - self._thresholds.keys()
        if missing:
            async with self._db.session() as session:
                for name, version in missing:
                    published = await sops.get(session, name, version)
                    step = published.definition.step("screening") if published else None
                    threshold = step.review_threshold if isinstance(step, ScreeningStep) else DEFAULT_THRESHOLD
                    self._thresholds[(name, version)] = threshold
        return self._thresholds

    async def _authorities(self, countries: set[str]) -> dict[str, str]:
        """The export-control authority per country of the clearances' offices (a post-release alert is its task)."""
        found: dict[str, str] = {}
        async with self._db.session() as session:
            for country in sorted(countries):
                authority = await agencies.export_control_for(session, country)
                if authority is not None:
                    found[country] = authority.id
        return found

    @activity.defn(name=options.RESCREEN_PAGE)
    async def rescreen_page(self, inp: RescreenPageInput) -> RescreenPage:
        index = await self._delta_index(inp.list, inp.revision)
        if index.size == 0:  # the import changed nothing (or a later one replaced its entries again)
            return RescreenPage()
        async with self._db.session() as session:
            rows, cursor = await rescreening.candidates(
                session, released_since=inp.released_since, cursor=inp.cursor, limit=inp.page_size
            )
        thresholds = await self._threshold(rows)
        authorities = await self._authorities({r.mrn[2:4] for r in rows})

        def screen() -> list[ClearanceHit]:
            hits = []
            for row in rows:
                threshold = thresholds[(row.sop_name, row.sop_version)]
                hit = screen_view(row.view, index=index, list_name=inp.list, revision=inp.revision, threshold=threshold)
                if hit is not None:
                    hits.append(
                        ClearanceHit(
                            mrn=row.mrn,
                            workflow_id=row.workflow_id,
                            agency=row.agency,
                            outcome=row.outcome,
                            subject=subject_of_record(row),
                            hit=hit,
                            alert_agency=authorities.get(row.mrn[2:4]),
                        )
                    )
            return hits

        hits = await asyncio.to_thread(screen)
        log.info("rescreened_page", list=inp.list, revision=inp.revision, scanned=len(rows), hits=[h.mrn for h in hits])
        return RescreenPage(hits=hits, scanned=len(rows), next_cursor=cursor)

    @activity.defn(name=options.RECORD_RESCREEN)
    async def record_rescreen(self, inp: RecordRescreenInput) -> bool:
        async with self._db.writer() as session:
            return await rescreening.record_entries(session, mrn=inp.mrn, entries=inp.entries)
