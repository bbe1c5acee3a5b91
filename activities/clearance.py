"""The clearance's activities, as methods of one class whose adapters are injected (embedded or HTTP)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from temporalio import activity

from activities import webhooks
from adapters.licences import LicenceRegistry
from adapters.screening import ScreeningService
from documents.render import render_notice
from domain.clearance import (
    CheckLicencesInput,
    ItemLicence,
    LicenceCheckResult,
    PartyScreening,
    ProjectionInput,
    RecordOutcomeInput,
    ReleaseDepletionsInput,
    ScreeningMatch,
    ScreeningResult,
    ScreenPartiesInput,
    SuppressedMatch,
    TaskProjectionInput,
)
from domain.licence import DepletionRequest, RestoreRequest
from domain.webhooks import subject_of
from screening.index import Match
from store import clearances as clearance_store
from store import false_positives, reference
from store.db import Database
from workflows import options

log = structlog.get_logger("activities")

LICENCE_DOCUMENT_TYPES = ("X002", "X001", "E012")  # EU dual-use / national export authorisations


class ClearanceActivities:
    def __init__(self, *, db: Database, licences: LicenceRegistry, screening: ScreeningService) -> None:
        self._db = db
        self._licences = licences
        self._screening = screening
        self._reference = reference.ReferenceCache(db)

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.screen_parties,
            self.check_licences,
            self.restore_licences,
            self.project_clearance,
            self.project_tasks,
            self.record_outcome,
        ]

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
            suppressed = await self._suppressed(inp.agency, party.name, country, matches)
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
        async with self._db.session() as session:
            return await false_positives.suppressions(
                session,
                agency=agency,
                party_name=name,
                party_country=country,
                entries=[(m.list, m.entry_id) for m in matches],
            )

    @activity.defn(name=options.CHECK_LICENCES)
    async def check_licences(self, inp: CheckLicencesInput) -> LicenceCheckResult:
        declaration = inp.declaration
        data = await self._reference.get()
        classes = data.classify([i.commodity_code for i in declaration.goods_items])
        embargo = data.embargo_for(declaration.country_of_destination)
        items: list[ItemLicence] = []
        for item in declaration.goods_items:
            listed = classes.get(item.commodity_code)
            control_code = item.control_code or (listed.control_code if listed else None)
            source = "declared" if item.control_code else "commodity_table" if listed else None
            items.append(
                ItemLicence(
                    sequence=item.sequence,
                    commodity_code=item.commodity_code,
                    control_code=control_code,
                    control_source=source,
                    status="no_licence" if control_code else "not_controlled",
                )
            )
        controlled = any(i.control_code for i in items)
        if embargo is not None and (embargo.scope == "all" or controlled):
            what = "exports" if embargo.scope == "all" else "controlled goods"
            reason = f"{what} to {declaration.country_of_destination} are under embargo: {embargo.regime}"
            log.info("embargo", mrn=inp.mrn, destination=declaration.country_of_destination)
            for i in items:
                if i.control_code:
                    i.reason = "not licensable: destination under embargo"
            return LicenceCheckResult(embargoed=True, embargo_reason=reason, items=items)
        for checked, item in zip(items, declaration.goods_items, strict=True):
            if not checked.control_code:
                continue
            named = next((d.reference for d in item.documents if d.type in LICENCE_DOCUMENT_TYPES), None)
            result = await self._licences.deplete(
                DepletionRequest(
                    mrn=inp.mrn,
                    item_sequence=item.sequence,
                    holder_eori=declaration.exporter.eori,
                    destination=declaration.country_of_destination,
                    control_code=checked.control_code,
                    commodity_code=item.commodity_code,
                    quantity=item.quantity,
                    value=item.statistical_value,
                    on=inp.on,
                    licence_reference=named,
                )
            )
            if result.covered:
                checked.status, checked.licence_reference = "covered", result.licence_reference
                checked.depleted_quantity, checked.depleted_value = result.quantity, result.value
            else:
                checked.reason = result.reason
        log.info(
            "licences_checked",
            mrn=inp.mrn,
            controlled=controlled,
            covered=[i.licence_reference for i in items if i.licence_reference],
        )
        return LicenceCheckResult(embargoed=False, items=items)

    @activity.defn(name=options.RESTORE_LICENCES)
    async def restore_licences(self, inp: ReleaseDepletionsInput) -> int:
        restored = await self._licences.restore(RestoreRequest(mrn=inp.mrn, reason=inp.reason[:400]))
        log.info("licences_restored", mrn=inp.mrn, restored=restored)
        return restored

    @activity.defn(name=options.PROJECT_CLEARANCE)
    async def project_clearance(self, inp: ProjectionInput) -> None:
        subject = subject_of(inp.view)
        async with self._db.writer() as session:
            planned = await webhooks.plan(session, subject, inp.audit)
            await clearance_store.project(session, inp)  # commits the deliveries planned with it
        await webhooks.dispatch(subject, planned)
        log.debug("clearance_projected", mrn=inp.view.mrn, status=inp.view.status.value, revision=inp.view.revision)

    @activity.defn(name=options.PROJECT_TASKS)
    async def project_tasks(self, inp: TaskProjectionInput) -> None:
        async with self._db.writer() as session:
            await clearance_store.project_tasks(session, inp.tasks, inp.audit_mrn, inp.audit)
        if inp.notify is not None:
            await webhooks.plan_and_dispatch(self._db, inp.notify, inp.audit)

    @activity.defn(name=options.RECORD_OUTCOME)
    async def record_outcome(self, inp: RecordOutcomeInput) -> None:
        """Render and store the notice, and write the final view, in one transaction."""
        view = inp.projection.view
        html = render_notice(inp.notice, view, issued_at=view.updated_at)
        subject = subject_of(view)
        async with self._db.writer() as session:
            planned = await webhooks.plan(session, subject, inp.projection.audit)
            await clearance_store.store_document(
                session, mrn=view.mrn, kind=inp.notice, html=html, issued_at=view.updated_at, commit=False
            )
            await clearance_store.project(session, inp.projection)  # commits the notice and deliveries with it
        await webhooks.dispatch(subject, planned)
        log.info(
            "outcome_recorded", mrn=view.mrn, outcome=view.outcome.value if view.outcome else None, notice=inp.notice
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
