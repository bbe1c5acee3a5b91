"""The screening stage's activity: every party of a declaration against the restricted-party lists (through
`adapters/screening.py`, embedded or HTTP), known false positives suppressed. Its workflow side is
`workflows/steps/screening.py`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog
from temporalio import activity

from adapters.screening import ScreeningService
from domain.clearance import (
    CheckLicencesInput,
    LicenceCheckResult,
    PartyScreening,
    ScreeningMatch,
    ScreeningResult,
    ScreenPartiesInput,
    SuppressedMatch,
)
from screening.index import Match
from store import false_positives
from store.db import Database
from workflows import options

log = structlog.get_logger("activities")


class ScreeningActivities:
    """Mixin of `ClearanceActivities` (which injects the database and the screening service)."""

    _db: Database
    _screening: ScreeningService

    if TYPE_CHECKING:  # the licence stage's (activities/licences.py), run after an all-clear screening

        async def check_licences(self, inp: CheckLicencesInput) -> LicenceCheckResult: ...

    @activity.defn(name=options.SCREEN_PARTIES)
    async def screen_parties(self, inp: ScreenPartiesInput) -> ScreeningResult:
        """Screen every party at (at least) the list revisions pinned at acceptance; matches an officer recorded as
        known false positives for that party and entry are suppressed, not sent to review."""
        parties = []
        answered: list[dict[str, int]] = []
        pinned = inp.list_revisions or None  # none pinned (a workflow started before pinning): the store's current
        for role, party in inp.declaration.parties():
            country = getattr(party, "country", None)
            screened = await self._screening.check(
                party.name, country, min_score=inp.review_threshold, list_revisions=pinned
            )
            answered.append(screened.list_revisions)
            matches = [_match(m) for m in screened.matches]
            suppressed: dict[tuple[str, str], str] = {}
            for register in dict.fromkeys([inp.agency, *inp.also_registers]):
                found = await self._suppressed(register, party.name, country, matches)
                suppressed = {**found, **suppressed}
            kept = [m for m in matches if (m.list, m.entry_id) not in suppressed]
            parties.append(
                PartyScreening(
                    role=role,
                    name=party.name,
                    country=country,
                    status="possible_match" if kept else "clear",
                    matches=kept,
                    suppressed=[
                        SuppressedMatch(
                            list=m.list,
                            entry_id=m.entry_id,
                            false_positive_id=suppressed[(m.list, m.entry_id)],
                            name=m.name,
                            score=m.score,
                        )
                        for m in matches
                        if (m.list, m.entry_id) in suppressed
                    ],
                )
            )
        hits = [p.role for p in parties if p.matches]
        revisions = _oldest(answered)
        log.info("parties_screened", mrn=inp.mrn, parties=len(parties), possible_matches=hits, lists=revisions)
        result = ScreeningResult(parties=parties, list_revisions=revisions, screened_at=datetime.now(UTC))
        if inp.then_check_licences is not None and not hits:
            result.licences = await self.check_licences(inp.then_check_licences)
        result.finished_at = datetime.now(UTC)
        return result

    async def _suppressed(
        self, agency: str | None, name: str, country: str | None, matches: list[ScreeningMatch]
    ) -> dict[tuple[str, str], str]:
        if agency is None or not matches:
            return {}
        async with self._db.reader() as session:
            return await false_positives.suppressions(
                session,
                agency=agency,
                party_name=name,
                party_country=country,
                entries=[(m.list, m.entry_id) for m in matches],
            )


def _match(m: Match) -> ScreeningMatch:
    return ScreeningMatch(
        list=m.list,
        entry_id=m.entry_id,
        name=m.name,
        score=m.score,
        matched_alias=m.matched_alias,
        programs=list(m.programs),
        country=m.country,
    )


def _oldest(answers: list[dict[str, int]]) -> dict[str, int]:
    """The revision of each list every party was screened against (the oldest, should they differ)."""
    if not answers:
        return {}
    common = set(answers[0]).intersection(*answers[1:])
    return {name: min(a[name] for a in answers) for name in sorted(common)}
