"""Delta screening after a list import.

`ListRescreen` (id `rescreen-<list>-<revision>`, started by the API once the import committed) pages through the
clearances screened on an older revision of the list, screening their parties against only the entries the import
added or changed (activities/rescreen.py). A clearance without an outcome hears of its new matches as a
`rescreen_hit` signal (its own workflow opens the review and holds itself); a clearance released within the
look-back period gets a `PostReleaseAlert` (id `alert-<mrn>-<list>-<revision>`): one task per newly matching party
for the export-control agency. Both ids make a repeated start a no-op.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import FailureError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

from domain.clearance import PartyScreening, RescreenEntry, Task, TaskKind, TaskState
from domain.rescreen import (
    RESCREEN_HIT_SIGNAL,
    ClearanceHit,
    PostReleaseAlertInput,
    RecordRescreenInput,
    RescreenInput,
    RescreenPageInput,
    RescreenSummary,
    alert_workflow_id,
)
from workflows import acts
from workflows.human import HumanTasks
from workflows.journal import Journal
from workflows.tasks import TaskBook

PAGES_PER_RUN = 50  # then continue as new, so the history of a re-screen of every clearance stays small
# Audit sequence numbers of an alert live in their own range of the clearance's trail (revisions are unique
# across lists), after the clearance's own and its inspection's.
ALERT_AUDIT_BASE = 1_000_000_000


@workflow.defn(name="ListRescreen")
class ListRescreenWorkflow:
    @workflow.run
    async def run(self, inp: RescreenInput) -> RescreenSummary:
        released_since = inp.released_since or workflow.now() - timedelta(days=inp.lookback_days)
        cursor, scanned, signalled, alerts = inp.cursor, inp.scanned, inp.signalled, inp.alerts
        for _ in range(PAGES_PER_RUN):
            page = await acts.rescreen_page(
                RescreenPageInput(
                    list=inp.list,
                    revision=inp.revision,
                    released_since=released_since,
                    page_size=inp.page_size,
                    cursor=cursor,
                )
            )
            scanned += page.scanned
            in_flight = [h for h in page.hits if h.outcome is None]
            released = [h for h in page.hits if h.outcome == "released"]
            signalled += sum(await asyncio.gather(*(self._signal(h) for h in in_flight)))
            alerts += sum(await asyncio.gather(*(self._alert(h) for h in released)))
            cursor = page.next_cursor
            if cursor is None:
                workflow.logger.info(
                    "re-screening done", extra={"list": inp.list, "revision": inp.revision, "scanned": scanned}
                )
                return RescreenSummary(
                    list=inp.list, revision=inp.revision, scanned=scanned, signalled=signalled, alerts=alerts
                )
        workflow.continue_as_new(
            inp.model_copy(
                update={
                    "cursor": cursor,
                    "released_since": released_since,
                    "scanned": scanned,
                    "signalled": signalled,
                    "alerts": alerts,
                }
            )
        )

    async def _signal(self, hit: ClearanceHit) -> int:
        try:
            await workflow.get_external_workflow_handle(hit.workflow_id).signal(RESCREEN_HIT_SIGNAL, hit.hit)
        except FailureError:  # it concluded meanwhile
            workflow.logger.info("clearance gone before its re-screening hit", extra={"mrn": hit.mrn})
            return 0
        return 1

    async def _alert(self, hit: ClearanceHit) -> int:
        try:
            await workflow.start_child_workflow(
                PostReleaseAlertWorkflow.run,
                PostReleaseAlertInput(
                    mrn=hit.mrn, agency=hit.alert_agency or hit.agency, hit=hit.hit, notify=hit.subject
                ),
                id=alert_workflow_id(hit.mrn, hit.hit.list, hit.hit.revision),
                parent_close_policy=ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:
            return 0
        return 1


@workflow.defn(name="PostReleaseAlert")
class PostReleaseAlertWorkflow(HumanTasks):
    """A released clearance's party now matches a list entry: the export-control agency decides what to do."""

    @workflow.init
    def __init__(self, inp: PostReleaseAlertInput) -> None:
        self._mrn = inp.mrn
        self._journal = Journal(mrn=inp.mrn, audit_seq=ALERT_AUDIT_BASE + 1000 * inp.hit.revision, notify=inp.notify)
        self._book = TaskBook(
            mrn=inp.mrn,
            workflow_id=workflow.info().workflow_id,
            agency=inp.agency,
            four_eyes=[],
            task_prefix=f"A{inp.hit.revision}.",
        )

    @workflow.run
    async def run(self, inp: PostReleaseAlertInput) -> list[str]:
        hit, now = inp.hit, workflow.now()
        tasks: list[Task] = []
        for number, party in enumerate(hit.parties, start=1):
            evidence = PartyScreening(
                role=party.role, name=party.name, country=party.country, status="possible_match", matches=party.matches
            )
            task = self._book.open(
                number=number,
                kind=TaskKind.post_release_alert,
                role=inp.role,
                title=f"Post-release alert: {party.name} on {hit.list} rev {hit.revision}",
                now=now,
                due=inp.due,
                subject={
                    "party": evidence.model_dump(mode="json"),
                    "list": hit.list,
                    "revision": hit.revision,
                    "stage": "post_release",
                },
            )
            tasks.append(task)
            self._journal.audit(
                "rescreened",
                None,
                list=hit.list,
                revision=hit.revision,
                party=party.role,
                matches=[{"entry_id": m.entry_id, "name": m.name, "score": m.score} for m in party.matches],
                result="alert_raised",
                task_id=task.id,
            )
            self._journal.audit(
                "task_created",
                None,
                task_id=task.id,
                kind=task.kind.value,
                role=task.role,
                due_at=task.due_at.isoformat(),
            )
        await self._record(tasks)  # the clearance shows the alert before the inbox does
        await self._journal.project_tasks(tasks)
        await self._await_tasks([t.id for t in tasks])
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._record(tasks)
        return [t.outcome or t.state.value for t in tasks]

    async def _record(self, tasks: list[Task]) -> None:
        """The alerts (and, once decided, their outcomes) in the concluded clearance's `rescreening` list."""
        entries = []
        for task, party in zip(tasks, self._parties(), strict=True):
            decided = task.state == TaskState.completed and task.outcome in ("no_action", "refer_for_enforcement")
            entries.append(
                RescreenEntry(
                    list=task.subject["list"],
                    revision=task.subject["revision"],
                    at=task.completed_at if decided and task.completed_at else task.created_at,
                    party=party.role,
                    entries=[m.entry_id for m in party.matches],
                    result=task.outcome if decided else "alert_raised",  # type: ignore[arg-type]
                    task_id=task.id,
                )
            )
        await acts.record_rescreen(RecordRescreenInput(mrn=self._mrn, entries=entries))

    def _parties(self) -> list[PartyScreening]:
        return [PartyScreening.model_validate(t.subject["party"]) for t in self._book.tasks.values()]
