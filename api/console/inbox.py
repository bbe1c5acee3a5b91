"""The inbox: the open tasks the officer may act on at their agency, as `GET /v1/tasks` returns them, due first
(a supervisor's: every task of the agency), with filters for what needs attention (overdue, due soon), the role,
the kind of task, the lane and the officer's own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from api.console.clearances import LANES
from api.console.formatting import parse_instant
from api.console.web import Officer, console_router, holds_tasks, render
from api.deps import ServicesDep
from api.service import tasks as task_service
from domain import policy
from domain.clearance import TaskKind
from store import clearances as clearance_store

router = console_router()
DUE_SOON_HOURS = (1, 4, 8, 24)
KINDS = tuple(k.value for k in TaskKind)


@dataclass(frozen=True)
class InboxFilters:
    overdue: bool = False
    due_within: int | None = None
    kind: str = ""
    lane: str = ""
    mine: bool = False
    role: str = ""

    @classmethod
    def of(
        cls, overdue: str, due_within: str, kind: str, lane: str, mine: str, role: str = "", roles: tuple[str, ...] = ()
    ) -> InboxFilters:
        hours = int(due_within) if due_within.isdigit() and int(due_within) in DUE_SOON_HOURS else None
        return cls(
            overdue=bool(overdue),
            due_within=hours,
            kind=kind if kind in KINDS else "",
            lane=lane if lane in LANES else "",
            mine=bool(mine),
            role=role if role in roles else "",
        )

    @property
    def active(self) -> bool:
        return self != InboxFilters()

    def keeps(self, row: InboxRow, me: str, now: datetime) -> bool:
        task = row.task
        return not (
            (self.overdue and not row.overdue)
            or (self.due_within is not None and row.due_at > now + timedelta(hours=self.due_within))
            or (self.kind and task["kind"] != self.kind)
            or (self.lane and row.lane != self.lane)
            or (self.mine and task.get("assignee") != me)
        )


@dataclass(frozen=True)
class InboxRow:
    task: dict[str, Any]
    lane: str | None
    due_at: datetime
    overdue: bool


async def _lanes(services: ServicesDep, tasks: list[dict[str, Any]]) -> dict[str, str | None]:
    """A task's lane from its subject; a screening review (before the risk stage) takes its clearance's."""
    lanes: dict[str, str | None] = {}
    async with services.db.session() as session:
        for task in tasks:
            subject = task.get("subject") or {}
            if "lane" in subject:
                lanes[task["id"]] = subject["lane"]
                continue
            record = await clearance_store.get_record(session, task["mrn"])
            lanes[task["id"]] = record.lane if record else None
    return lanes


@router.get("")
@router.get("/tasks")
async def inbox(
    request: Request,
    officer: Officer,
    services: ServicesDep,
    overdue: str = "",
    due_within: str = "",
    kind: str = "",
    lane: str = "",
    mine: str = "",
    role: str = "",
) -> Response:
    if policy.partner_only(officer):  # a partner administration's officer: its received messages are its inbox
        return RedirectResponse("/console/exchange", status_code=303)
    roles = tuple(policy.task_roles_of(officer))
    filters = InboxFilters.of(overdue, due_within, kind, lane, mine, role, roles)
    if not holds_tasks(officer):
        return render(request, "inbox.html.j2", rows=None, filters=filters, total=0)
    # The same call as GET /v1/tasks?role=: the open tasks the officer may act on at their agency, due first.
    found = await task_service.list_tasks(
        services=services, principal=officer, state="open", role=filters.role or None, limit=500
    )
    tasks = [task.model_dump(mode="json") for task in found]
    lanes = await _lanes(services, tasks)
    now = datetime.now(UTC)
    rows = []
    for task in tasks:
        due_at = parse_instant(task["due_at"]) or now
        row = InboxRow(task, lanes[task["id"]], due_at, bool(task.get("overdue")) or due_at < now)
        if filters.keeps(row, officer.id, now):
            rows.append(row)
    return render(
        request,
        "inbox.html.j2",
        rows=rows,
        total=len(tasks),
        filters=filters,
        kinds=KINDS,
        lanes=LANES,
        roles=roles,
        supervises="supervisor" in officer.roles,
        due_soon=DUE_SOON_HOURS,
        now=now,
    )
