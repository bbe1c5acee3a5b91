"""How a clearance takes a re-screening hit (a list import found a new possible match for one of its parties).

Before or during screening, the matches join the screening's own result (its review follows as usual). After
screening and before the outcome, each newly matching party gets a `screening_review` task and the clearance goes
on a system hold ("re-screening: new possible match on <list> rev N"); a false positive releases the hold once no
re-screening review is open, a confirmed match refers the clearance (the screening step's `on_confirmed_match`).
A match the clearance has already seen (in its screening or an earlier re-screening) is ignored, so the same
import delivered twice opens nothing twice. Every command this adds is behind `workflow.patched(RESCREEN_PATCH)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from temporalio import workflow

from domain.clearance import (
    ClearanceInput,
    Hold,
    PartyScreening,
    RescreenEntry,
    ScreeningResult,
    Task,
    TaskKind,
    TaskState,
)
from domain.rescreen import RESCREEN_HIT_SIGNAL, PartyHit, RescreenHit
from sop.model import Outcome, ScreeningStep, TaskSpec
from workflows.human import HumanTasks

if TYPE_CHECKING:
    from workflows.progress import Progress

RESCREEN_PATCH = "rescreen-hits"
SYSTEM = "system"


class RescreenConcluded(Exception):
    """Unwinds the interpreter when a re-screening review confirms a match."""


class RescreenHits(HumanTasks):
    """Mixin of the clearance workflow; it calls `_init_rescreen()` in its constructor."""

    _inp: ClearanceInput
    _progress: Progress

    def _init_rescreen(self) -> None:
        self._rescreen_pending: list[RescreenHit] = []
        self._rescreen_open: dict[str, PartyHit] = {}  # review task id -> the party's new matches
        self._rescreen_outcome: tuple[Outcome, str] | None = None
        self._screening_done = False

    if TYPE_CHECKING:  # the clearance workflow's own

        def _open_task(self, kind: TaskKind, spec: TaskSpec, title: str, subject: dict[str, Any]) -> Task: ...

        def _patched(self, patch_id: str) -> bool: ...

    # --- receiving a hit ----------------------------------------------------------------------------------

    @workflow.signal(name=RESCREEN_HIT_SIGNAL)
    async def rescreen_hit(self, hit: RescreenHit) -> None:
        if not self._patched(RESCREEN_PATCH):
            return
        if self._journal.view.outcome is not None or self._progress.invalidation is not None:
            return
        parties = self._new_matches(hit)
        if not parties:
            return
        if not self._screening_done:
            self._rescreen_pending.append(hit.model_copy(update={"parties": parties}))
            return
        await self._review_rescreen(hit, parties)

    def _new_matches(self, hit: RescreenHit) -> list[PartyHit]:
        known: dict[str, set[tuple[str, str]]] = {}
        for screened in self._journal.view.screening.parties if self._journal.view.screening else []:
            known.setdefault(screened.role, set()).update((m.list, m.entry_id) for m in screened.matches)
        for entry in self._journal.view.rescreening:
            known.setdefault(entry.party, set()).update((entry.list, e) for e in entry.entries)
        for pending in self._rescreen_pending:
            for p in pending.parties:
                known.setdefault(p.role, set()).update((m.list, m.entry_id) for m in p.matches)
        parties: list[PartyHit] = []
        for party in hit.parties:
            seen = known.get(party.role, set())
            matches = [m for m in party.matches if (m.list, m.entry_id) not in seen]
            if matches:
                parties.append(party.model_copy(update={"matches": matches}))
        return parties

    def _screening_step(self) -> ScreeningStep:
        step = self._inp.sop.step("screening")
        assert isinstance(step, ScreeningStep)
        return step

    def _note(self, hit: RescreenHit, party: PartyHit, result: str, task_id: str | None = None) -> None:
        self._journal.view.rescreening.append(
            RescreenEntry(
                list=hit.list,
                revision=hit.revision,
                at=workflow.now(),
                party=party.role,
                entries=[m.entry_id for m in party.matches],
                result=result,  # type: ignore[arg-type]
                task_id=task_id,
            )
        )
        self._journal.audit(
            "rescreened",
            None,
            list=hit.list,
            revision=hit.revision,
            party=party.role,
            matches=[{"entry_id": m.entry_id, "name": m.name, "score": m.score} for m in party.matches],
            result=result,
            **({"task_id": task_id} if task_id else {}),
        )

    # --- before or in screening: the screening sees the matches ----------------------------------------------

    def _merge_rescreen(self, result: ScreeningResult) -> None:
        """Called with the screening's result: pending matches join it, so its review covers them."""
        self._screening_done = True
        pending, self._rescreen_pending = self._rescreen_pending, []
        for hit in pending:
            for party in hit.parties:
                screened = next((p for p in result.parties if p.role == party.role), None)
                if screened is None:
                    continue
                have = {(m.list, m.entry_id) for m in screened.matches}
                screened.matches.extend(m for m in party.matches if (m.list, m.entry_id) not in have)
                if screened.status == "clear":
                    screened.status = "possible_match"
                self._note(hit, party, "added_to_screening")
        if pending and self._progress.prefetched_licences is not None:
            # the screening activity checked (and depleted) licences, taking every party for clear
            self._progress.depleted = any(i.licence_reference for i in self._progress.prefetched_licences.items)

    async def _screening_passed(self) -> None:
        """The screening step was skipped: hits that waited for it are reviewed now."""
        self._screening_done = True
        pending, self._rescreen_pending = self._rescreen_pending, []
        for hit in pending:
            await self._review_rescreen(hit, hit.parties)

    # --- after screening: review and hold -----------------------------------------------------------------

    async def _review_rescreen(self, hit: RescreenHit, parties: list[PartyHit]) -> None:
        step = self._screening_step()
        tasks = []
        for party in parties:
            evidence = PartyScreening(
                role=party.role, name=party.name, country=party.country, status="possible_match", matches=party.matches
            )
            task = self._open_task(
                TaskKind.screening_review,
                step.review,
                f"Re-screening review: {party.name}",
                {"party": evidence.model_dump(mode="json"), "rescreen": {"list": hit.list, "revision": hit.revision}},
            )
            self._rescreen_open[task.id] = party
            self._note(hit, party, "review_opened", task.id)
            tasks.append(task)
        self._hold_for_rescreen(f"re-screening: new possible match on {hit.list} rev {hit.revision}")
        await self._journal.project(self._journal.view.status, tasks=tasks)
        ids = [t.id for t in tasks]
        await self._await_tasks(
            ids, lambda: self._progress.invalidation is not None or self._journal.view.outcome is not None
        )
        if self._journal.view.outcome is not None or self._progress.invalidation is not None:
            return
        for task_id in ids:
            task = self._book.tasks[task_id]
            party = self._rescreen_open.pop(task_id)
            outcome = task.outcome if task.state == TaskState.completed else "cancelled"
            self._settle(task_id, outcome or "cancelled")
            self._journal.decide(step.id, "screening_review", outcome or "", task.completed_by, task.reason, task_id)
            if outcome == "confirmed_match" and self._rescreen_outcome is None:
                reason = (
                    f"confirmed restricted-party match on re-screening ({hit.list} rev {hit.revision}): {party.name}"
                )
                self._rescreen_outcome = (step.on_confirmed_match, reason)
        if self._rescreen_outcome is not None or not self._rescreen_open:
            self._release_rescreen_hold()
        await self._journal.project(self._journal.view.status)

    def _settle(self, task_id: str, result: str) -> None:
        for entry in self._journal.view.rescreening:
            if entry.task_id == task_id:
                entry.result, entry.at = result, workflow.now()  # type: ignore[assignment]

    def _hold_for_rescreen(self, reason: str) -> None:
        if self._journal.view.hold is not None:
            return  # already held (by an officer): releasing that hold puts this one in its place
        self._journal.view.hold = Hold(by=SYSTEM, reason=reason, at=workflow.now())
        self._journal.decide(self._journal.view.stage, "hold", "placed", None, reason)
        self._journal.audit("hold_placed", None, reason=reason, stage=self._journal.view.stage, placed_by=SYSTEM)

    def _rehold_after_release(self) -> None:
        """An officer released their hold while a re-screening review is open: the system hold takes its place."""
        if self._rescreen_open and self._journal.view.hold is None:
            self._hold_for_rescreen("re-screening: a review of a new possible match is open")

    def _release_rescreen_hold(self) -> None:
        hold = self._journal.view.hold
        if hold is None or hold.by != SYSTEM:
            return
        reason = "re-screening review confirmed the match" if self._rescreen_outcome else "re-screening reviews decided"
        self._journal.view.hold = None
        self._journal.decide(self._journal.view.stage, "hold", "released", None, reason)
        self._journal.audit(
            "hold_released",
            None,
            reason=reason,
            placed_by=SYSTEM,
            held_seconds=round((workflow.now() - hold.at).total_seconds(), 3),
        )

    def _cancel_rescreen_entries(self) -> None:
        """The clearance ends with re-screening reviews open (their tasks are cancelled with the others)."""
        for task_id in list(self._rescreen_open):
            self._settle(task_id, "cancelled")
        self._rescreen_open.clear()
