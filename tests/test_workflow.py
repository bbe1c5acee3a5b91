"""The SOP interpreter on the time-skipping test server, with fake activities registered under the real
activity names (the end-to-end tests run the real ones)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.clearance import (
    INTERPRETER_GENERATION,
    Actor,
    CheckLicencesInput,
    ClaimTask,
    ClearanceInput,
    ClearanceResult,
    ClearanceView,
    CompleteTask,
    HandOverTask,
    Invalidate,
    ItemLicence,
    LicenceCheckResult,
    PartyScreening,
    ProjectionInput,
    RecordOutcomeInput,
    ReleaseDepletionsInput,
    ScreeningMatch,
    ScreeningResult,
    ScreenPartiesInput,
    Task,
    TaskKind,
    TaskProjectionInput,
)
from domain.declaration import Declaration
from sop.model import SopDefinition, SopRef
from tests.support import example, sop_data
from worker import workflow_runner
from workflows import options
from workflows.clearance import ClearanceWorkflow
from workflows.human import HumanTasks
from workflows.inspection import JointInspectionWorkflow


class FakeAgencies:
    """Activities under their real names, recording what the workflow asked for."""

    def __init__(self, *, controlled: bool = False) -> None:
        self.controlled = controlled
        self.tasks: dict[str, Task] = {}
        self.restored: list[str] = []
        self.notices: list[str] = []
        self.views: list[ClearanceView] = []

    @activity.defn(name=options.SCREEN_PARTIES)
    async def screen(self, inp: ScreenPartiesInput) -> ScreeningResult:
        parties = []
        for role, party in inp.declaration.parties():
            hit = "Volkov" in party.name
            parties.append(
                PartyScreening(
                    role=role,
                    name=party.name,
                    status="possible_match" if hit else "clear",
                    matches=[ScreeningMatch(list="demo", entry_id="demo-0001", name="Volkov Dynamics OOO", score=93.0)]
                    if hit
                    else [],
                )
            )
        return ScreeningResult(parties=parties)

    @activity.defn(name=options.CHECK_LICENCES)
    async def licences(self, inp: CheckLicencesInput) -> LicenceCheckResult:
        return LicenceCheckResult(
            embargoed=False,
            items=[
                ItemLicence(
                    sequence=i.sequence,
                    commodity_code=i.commodity_code,
                    control_code="6A003" if self.controlled else None,
                    status="covered" if self.controlled else "not_controlled",
                    licence_reference="LIC-1" if self.controlled else None,
                )
                for i in inp.declaration.goods_items
            ],
        )

    @activity.defn(name=options.RESTORE_LICENCES)
    async def restore(self, inp: ReleaseDepletionsInput) -> int:
        self.restored.append(inp.mrn)
        return 1

    @activity.defn(name=options.PROJECT_CLEARANCE)
    async def project(self, inp: ProjectionInput) -> None:
        self.views.append(inp.view)
        self.tasks.update({t.id: t for t in inp.tasks})

    @activity.defn(name=options.PROJECT_TASKS)
    async def project_tasks(self, inp: TaskProjectionInput) -> None:
        self.tasks.update({t.id: t for t in inp.tasks})

    @activity.defn(name=options.RECORD_OUTCOME)
    async def outcome(self, inp: RecordOutcomeInput) -> None:
        self.notices.append(inp.notice)
        await self.project(inp.projection)

    def all(self) -> list[Any]:
        return [self.screen, self.licences, self.restore, self.project, self.project_tasks, self.outcome]

    def open(self, kind: str) -> list[Task]:
        return [t for t in self.tasks.values() if t.kind.value == kind and t.state.value == "open"]


def actor(who: str, *roles: str, agency: str = "DEMO-CUSTOMS", eori: str | None = None) -> Actor:
    return Actor(id=who, name=who, agency=agency, roles=list(roles or [who]), eori=eori)


def clearance_input(
    body: dict[str, Any], sop: SopDefinition, interpreter: int = INTERPRETER_GENERATION
) -> ClearanceInput:
    declaration = Declaration.model_validate(body)
    mrn = "26DE" + uuid.uuid4().hex[:13].upper() + "0"
    return ClearanceInput(
        mrn=mrn,
        lrn=declaration.lrn,
        declarant_eori=declaration.declarant.eori,
        body_hash=declaration.body_hash(),
        accepted_at=datetime.now(UTC),
        declaration=declaration,
        sop=sop,
        sop_ref=SopRef(name=sop.name, version=sop.version, hash=sop.content_hash()),
        interpreter=interpreter,
    )


async def start(client: Client, inp: ClearanceInput, task_queue: str) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(ClearanceWorkflow.run, inp, id=f"clearance-{inp.mrn}", task_queue=task_queue)


async def final_view(handle: WorkflowHandle[Any, Any]) -> ClearanceView:
    """The clearance's view once the workflow has ended (its result says only how it ended)."""
    result: ClearanceResult = await handle.result()
    view: ClearanceView = await handle.query(ClearanceWorkflow.view)
    assert (result.mrn, result.status, result.outcome, result.lane, result.revision) == (
        view.mrn,
        view.status,
        view.outcome,
        view.lane,
        view.revision,
    )
    return view


async def until(env: WorkflowEnvironment, check: Any, timeout: float = 10.0) -> None:
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.05)


def worker(env: WorkflowEnvironment, fakes: FakeAgencies, task_queue: str) -> Worker:
    return Worker(
        env.client,
        task_queue=task_queue,
        workflows=[ClearanceWorkflow, JointInspectionWorkflow],
        activities=fakes.all(),
        workflow_runner=workflow_runner(strict=True),
    )


async def complete(env: WorkflowEnvironment, task: Task, who: Actor, outcome: str, reason: str = "ok") -> Task:
    handle = env.client.get_workflow_handle(task.workflow_id)
    await handle.execute_update(HumanTasks.claim_task, ClaimTask(task_id=task.id, actor=who), result_type=Task)
    findings = {"seals_checked": True} if task.kind == TaskKind.inspection_findings else None
    return await handle.execute_update(
        HumanTasks.complete_task,
        CompleteTask(task_id=task.id, actor=who, outcome=outcome, reason=reason, findings=findings),
        result_type=Task,
    )


async def test_red_lane_runs_joint_inspection_as_a_child_then_approval(time_skipping_env: WorkflowEnvironment) -> None:
    env, fakes, tq = time_skipping_env, FakeAgencies(controlled=True), f"tq-{uuid.uuid4().hex[:6]}"
    async with worker(env, fakes, tq):
        handle = await start(
            env.client, clearance_input(example("dual-use-licensed"), SopDefinition.model_validate(sop_data())), tq
        )
        await until(env, lambda: len(fakes.open("inspection_findings")) == 2)
        customs, export_control = sorted(fakes.open("inspection_findings"), key=lambda t: t.role)
        assert customs.workflow_id.endswith("-joint_inspection") and customs.due_at - customs.created_at == timedelta(
            days=1
        )
        await complete(env, customs, actor("insp", "export_control_officer"), "compliant")  # role decides, not name
        await complete(env, export_control, actor("insp2", "inspector"), "compliant")
        await until(env, lambda: len(fakes.open("approval")) == 1)
        [approval] = fakes.open("approval")
        await complete(env, approval, actor("boss", "supervisor"), "approve")
        view = await final_view(handle)
    assert view.outcome is not None and view.outcome.value == "released" and view.lane is not None
    assert view.inspection is not None and {f.completed_by for f in view.inspection.findings} == {"insp", "insp2"}
    assert fakes.notices == ["release-notice"] and fakes.restored == []


async def test_validators_reject_before_anything_reaches_history(time_skipping_env: WorkflowEnvironment) -> None:
    env, fakes, tq = time_skipping_env, FakeAgencies(), f"tq-{uuid.uuid4().hex[:6]}"
    body = example("green-lane", country_of_destination="CN")
    async with worker(env, fakes, tq):
        handle = await start(env.client, clearance_input(body, SopDefinition.model_validate(sop_data())), tq)
        await until(env, lambda: len(fakes.open("approval")) == 1)
        [task] = fakes.open("approval")
        rejections = {
            "Invalid": CompleteTask(task_id=task.id, actor=actor("boss", "supervisor"), outcome="maybe", reason="x"),
            "Forbidden": CompleteTask(
                task_id=task.id, actor=actor("clerk", "customs_officer"), outcome="approve", reason="x"
            ),
            "NotFound": CompleteTask(task_id="nope", actor=actor("boss", "supervisor"), outcome="approve", reason="x"),
        }
        for expected, command in rejections.items():
            with pytest.raises(WorkflowUpdateFailedError) as info:
                await handle.execute_update(HumanTasks.complete_task, command, result_type=Task)
            assert isinstance(info.value.cause, ApplicationError) and info.value.cause.type == expected
        await handle.execute_update(
            HumanTasks.claim_task, ClaimTask(task_id=task.id, actor=actor("boss", "supervisor")), result_type=Task
        )
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await handle.execute_update(
                HumanTasks.claim_task, ClaimTask(task_id=task.id, actor=actor("boss2", "supervisor")), result_type=Task
            )
        assert info.value.cause.type == "Conflict"  # type: ignore[union-attr]
        history = await handle.fetch_history()
        accepted = [
            e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        ]
        assert len(accepted) == 1  # only the successful claim
        await complete(env, task, actor("boss", "supervisor"), "refer", "suspicious routing")
        view = await final_view(handle)
    assert view.outcome is not None and view.outcome.value == "referred" and fakes.notices == ["referral-notice"]


async def test_four_eyes_spans_the_inspection_child_and_the_approval(time_skipping_env: WorkflowEnvironment) -> None:
    env, fakes, tq = time_skipping_env, FakeAgencies(controlled=True), f"tq-{uuid.uuid4().hex[:6]}"
    both = actor("both", "export_control_officer", "supervisor", "inspector")
    async with worker(env, fakes, tq):
        handle = await start(
            env.client, clearance_input(example("dual-use-licensed"), SopDefinition.model_validate(sop_data())), tq
        )
        await until(env, lambda: len(fakes.open("inspection_findings")) == 2)
        for task in fakes.open("inspection_findings"):
            await complete(env, task, both, "compliant")
        await until(env, lambda: len(fakes.open("approval")) == 1)
        [approval] = fakes.open("approval")
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await handle.execute_update(
                HumanTasks.claim_task, ClaimTask(task_id=approval.id, actor=both), result_type=Task
            )
        assert info.value.cause.type == "Forbidden" and "four-eyes" in str(info.value.cause)  # type: ignore[union-attr]
        await complete(env, approval, actor("boss", "supervisor"), "approve")
        await handle.result()


async def test_invalidation_cancels_the_inspection_and_restores_licences(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    env, fakes, tq = time_skipping_env, FakeAgencies(controlled=True), f"tq-{uuid.uuid4().hex[:6]}"
    declarant = actor("decl", "declarant", agency="DEMO-TRADE", eori="DE123456789012345")
    async with worker(env, fakes, tq):
        inp = clearance_input(example("dual-use-licensed"), SopDefinition.model_validate(sop_data()))
        handle = await start(env.client, inp, tq)
        await until(env, lambda: len(fakes.open("inspection_findings")) == 2)
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(
                ClearanceWorkflow.invalidate,
                Invalidate(actor=actor("other", "declarant", eori="FR1"), reason="not mine"),
                result_type=ClearanceView,
            )
        view = await handle.execute_update(
            ClearanceWorkflow.invalidate, Invalidate(actor=declarant, reason="cancelled"), result_type=ClearanceView
        )
        assert view.status.value == "invalidated"
        await handle.result()
        await until(env, lambda: not fakes.open("inspection_findings"))
    assert fakes.restored == [inp.mrn] and fakes.notices == ["invalidation-notice"]
    assert {t.state.value for t in fakes.tasks.values()} == {"cancelled"}


async def test_random_selection_and_failing_rules_send_clearances_to_people(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    env, tq = time_skipping_env, f"tq-{uuid.uuid4().hex[:6]}"
    selected = sop_data(random_rate=1.0)
    broken = sop_data()
    broken["steps"][2]["rules"][0]["when"] = "declaration.goods_items[3].sequence == 1"  # valid CEL, fails at run time
    fakes = FakeAgencies()
    async with worker(env, fakes, tq):
        for data, reason in ((selected, "random selection"), (broken, "could not be evaluated")):
            handle = await start(
                env.client, clearance_input(example("green-lane"), SopDefinition.model_validate(data)), tq
            )
            await until(env, lambda: len(fakes.open("inspection_findings")) == 2)
            view = await handle.query(ClearanceWorkflow.view)
            assert view.lane is not None and view.lane.value == "red" and reason in (view.lane_reason or "")
            await handle.cancel()
            fakes.tasks.clear()


async def test_overdue_tasks_are_flagged_then_escalated_on_durable_timers(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    env, fakes, tq = time_skipping_env, FakeAgencies(), f"tq-{uuid.uuid4().hex[:6]}"
    data = sop_data()
    data["steps"][4]["task"]["escalation"] = {"after": "PT2H", "to": "duty_chief"}  # approval due PT8H
    body = example("green-lane", country_of_destination="CN")
    async with worker(env, fakes, tq):
        handle = await start(env.client, clearance_input(body, SopDefinition.model_validate(data)), tq)
        await until(env, lambda: len(fakes.open("approval")) == 1)
        [task] = fakes.open("approval")
        assert not task.overdue and task.role == "supervisor"
        await env.sleep(timedelta(hours=8, minutes=1))
        await until(env, lambda: fakes.tasks[task.id].overdue)
        assert fakes.tasks[task.id].role == "supervisor"
        await env.sleep(timedelta(hours=2))
        await until(env, lambda: fakes.tasks[task.id].role == "duty_chief")
        escalated = fakes.tasks[task.id]
        assert escalated.escalated_from == "supervisor" and escalated.assignee is None
        with pytest.raises(WorkflowUpdateFailedError):  # the supervisor pool no longer holds it
            await handle.execute_update(
                HumanTasks.claim_task, ClaimTask(task_id=task.id, actor=actor("boss", "supervisor")), result_type=Task
            )
        # The duty chief hands it back to a supervisor of their choice, who decides.
        back = await handle.execute_update(
            HumanTasks.hand_over_task,
            HandOverTask(
                task_id=task.id, actor=actor("chief", "duty_chief"), to=actor("boss2", "supervisor"), reason="yours"
            ),
            result_type=Task,
        )
        assert (back.role, back.assignee, back.escalated_from) == ("supervisor", "boss2", "supervisor")
        await complete(env, back, actor("boss2", "supervisor"), "approve", "decided after escalation")
        view = await final_view(handle)
    assert view.outcome is not None and view.outcome.value == "released"
    assert any(d.kind == "escalation" and d.outcome == "duty_chief" for d in view.decisions)


async def test_tasks_without_escalation_add_no_timers(time_skipping_env: WorkflowEnvironment) -> None:
    env, fakes, tq = time_skipping_env, FakeAgencies(), f"tq-{uuid.uuid4().hex[:6]}"
    body = example("green-lane", country_of_destination="CN")
    async with worker(env, fakes, tq):
        handle = await start(env.client, clearance_input(body, SopDefinition.model_validate(sop_data())), tq)
        await until(env, lambda: len(fakes.open("approval")) == 1)
        [task] = fakes.open("approval")
        await complete(env, task, actor("boss", "supervisor"), "approve")
        await handle.result()
        history = await handle.fetch_history()
    assert not [e for e in history.events if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED]


async def test_an_escalated_inspection_task_is_a_decision_of_the_clearance(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    env, fakes, tq = time_skipping_env, FakeAgencies(controlled=True), f"tq-{uuid.uuid4().hex[:6]}"
    data = sop_data()
    inspection = next(s for s in data["steps"] if s["kind"] == "inspection")  # due P1D
    inspection["escalation"] = {"after": "PT4H", "to": "duty_chief"}
    async with worker(env, fakes, tq):
        handle = await start(
            env.client, clearance_input(example("dual-use-licensed"), SopDefinition.model_validate(data)), tq
        )
        await until(env, lambda: len(fakes.open("inspection_findings")) == 2)
        late, in_time = sorted(fakes.open("inspection_findings"), key=lambda t: t.role)
        await complete(env, in_time, actor("insp", "inspector"), "compliant")  # one agency in time
        await env.sleep(timedelta(days=1, hours=4, minutes=1))
        await until(env, lambda: fakes.tasks[late.id].role == "duty_chief")
        await until(env, lambda: any(d.kind == "escalation" for d in fakes.views[-1].decisions))
        [escalation] = [d for d in fakes.views[-1].decisions if d.kind == "escalation"]
        assert (escalation.task_id, escalation.outcome) == (late.id, "duty_chief")
        assert fakes.tasks[in_time.id].escalated_from is None  # completed in time: not escalated
        await complete(env, fakes.tasks[late.id], actor("chief", "duty_chief"), "compliant")
        await until(env, lambda: len(fakes.open("approval")) == 1)
        [approval] = fakes.open("approval")
        await complete(env, approval, actor("boss", "supervisor"), "approve")
        view = await final_view(handle)
    assert view.outcome is not None and view.outcome.value == "released"
    assert [d.task_id for d in view.decisions if d.kind == "escalation"] == [late.id]


async def test_a_clearance_of_this_generation_asks_for_no_patch_and_one_before_generations_asks_as_before(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """workflows/versions.py: generation 1 takes its patches as in effect (no marker, no TemporalChangeVersion
    upsert); interpreter 0, as every clearance accepted before generations, asks for each one. Both release."""
    env, fakes, tq = time_skipping_env, FakeAgencies(), f"tq-{uuid.uuid4().hex[:6]}"
    sop = SopDefinition.model_validate(sop_data())
    events: dict[int, list[Any]] = {}
    async with worker(env, fakes, tq):
        for interpreter in (0, INTERPRETER_GENERATION):
            handle = await start(env.client, clearance_input(example("green-lane"), sop, interpreter), tq)
            view = await final_view(handle)
            assert view.outcome is not None and view.outcome.value == "released"
            events[interpreter] = [e async for e in handle.fetch_history_events()]

    def patches(history: list[Any]) -> list[str]:
        return [
            e.marker_recorded_event_attributes.marker_name
            for e in history
            if e.HasField("marker_recorded_event_attributes")
            and e.marker_recorded_event_attributes.marker_name == "core_patch"
        ]

    def change_versions(history: list[Any]) -> int:
        return sum(
            1
            for e in history
            if e.HasField("upsert_workflow_search_attributes_event_attributes")
            and "TemporalChangeVersion"
            in e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        )

    assert len(patches(events[0])) == 3 and change_versions(events[0]) == 3  # standing, parking, release exchange
    assert patches(events[INTERPRETER_GENERATION]) == [] and change_versions(events[INTERPRETER_GENERATION]) == 0
    assert len(events[INTERPRETER_GENERATION]) == len(events[0]) - 6
