"""Read models of clearances and tasks, the audit trail and issued documents.

Activities write these from the workflow's own view; every write carries a revision (clearances) or version
(tasks), and a row only moves forward, so retried or reordered writes never step back. Audit events are keyed by
(MRN, sequence), inserted once, as leaves of the transparency log (store.audit_log).
"""

from __future__ import annotations

import base64
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, and_, bindparam, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.clearance import AuditEvent, ClearanceView, ProjectionInput, Task
from store import audit_log, fastsql
from store.db import Database, upsert
from store.models import AuditRecord, ClearanceRecord, DocumentRecord, TaskRecord

_CLEARANCE = ClearanceRecord.__table__  # type: ignore[attr-defined]
_TASKS = TaskRecord.__table__  # type: ignore[attr-defined]
_DOCUMENTS = DocumentRecord.__table__  # type: ignore[attr-defined]
_FORWARD_ONLY_COLUMNS = [c.name for c in _CLEARANCE.columns if c.name != "mrn"]
_TASK_UPDATE_COLUMNS = ("role", "state", "assignee", "due_at", "version", "data")
_RECORD_BY_MRN = select(_CLEARANCE).where(_CLEARANCE.c.mrn == bindparam("mrn"))
_TASKS_OF_CLEARANCE = (
    select(_TASKS)
    .where(
        _TASKS.c.agency.in_(bindparam("agencies", expanding=True)),
        _TASKS.c.role.in_(bindparam("roles", expanding=True)),
        _TASKS.c.mrn == bindparam("mrn"),
    )
    .order_by(_TASKS.c.due_at, _TASKS.c.id)
    .limit(bindparam("limit"))
)


@lru_cache
def _statements(dialect: str) -> dict[str, Any]:
    """The hot-path writes, built once per dialect: Core statements executed with parameters reuse SQLAlchemy's
    compiled cache; rebuilding them per call (ORM upserts with `excluded`) cost more than the writes."""
    clearance = upsert(dialect, _CLEARANCE)
    clearance = clearance.on_conflict_do_update(
        index_elements=["mrn"],
        set_={name: clearance.excluded[name] for name in _FORWARD_ONLY_COLUMNS},
        where=_CLEARANCE.c.revision < clearance.excluded.revision,
    )
    task = upsert(dialect, _TASKS)
    task = task.on_conflict_do_update(
        index_elements=["id"],
        set_={name: task.excluded[name] for name in _TASK_UPDATE_COLUMNS},
        where=_TASKS.c.version < task.excluded.version,
    )
    return {
        "clearance": clearance,
        "task": task,
        "accepted": upsert(dialect, _CLEARANCE).on_conflict_do_nothing(index_elements=["mrn"]),
        "document": upsert(dialect, _DOCUMENTS).on_conflict_do_nothing(index_elements=["mrn", "kind"]),
    }


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _clearance_row(view: ClearanceView) -> dict[str, Any]:
    return {
        "mrn": view.mrn,
        "workflow_id": view.workflow_id,
        "lrn": view.lrn,
        "declarant_eori": view.declarant_eori,
        "agency": view.agency,
        "status": view.status.value,
        "stage": view.stage,
        "lane": view.lane.value if view.lane else None,
        "outcome": view.outcome.value if view.outcome else None,
        "sop_name": view.sop.name,
        "sop_version": view.sop.version,
        "accepted_at": view.accepted_at,
        "updated_at": view.updated_at,
        "revision": view.revision,
        "view": fastsql.Json(view.model_dump_json()),
    }


async def project(session: AsyncSession, projection: ProjectionInput) -> None:
    statements = _statements(_dialect(session))
    view = projection.view
    await fastsql.execute(session, statements["clearance"], _clearance_row(view))
    await _write_tasks(session, statements, projection.tasks)
    await _write_audit(session, statements, view.mrn, projection.audit)
    await session.commit()


async def record_accepted(db: Database, view: ClearanceView) -> bool:
    """The read model of a clearance just accepted (revision 0), written by the API once the workflow started.
    Never overwrites: when the worker's first projection (revision >= 1) got there first, it stays; when this row
    is first, that projection supersedes it. Returns whether the row was written (True where the driver does not
    say: psycopg)."""
    return bool(await db.write(_statements(db.dialect)["accepted"], _clearance_row(view)))


# only updated_at in the WHERE clause: with `status IN (...)` beside it, SQLite's planner (no statistics) takes the
# status index and walks every settled clearance there ever was, ~9 ms a look at 20,000 rows and growing with the
# table; on updated_at's index a look reads only the rows of its look-back (227 us for 140), the status checked here
_SETTLED_SINCE = select(_CLEARANCE.c.mrn, _CLEARANCE.c.status).where(_CLEARANCE.c.updated_at > bindparam("since"))
_STATUSES_OF = select(_CLEARANCE.c.mrn, _CLEARANCE.c.status).where(
    _CLEARANCE.c.mrn.in_(bindparam("mrns", expanding=True))
)


async def settled_since(db: Database, since: datetime, statuses: tuple[str, ...]) -> list[tuple[str, str]]:
    """(mrn, status) of the clearances in one of `statuses` whose view moved on since `since` (indexed on
    updated_at): what a watcher of waiting requests asks every few tens of milliseconds (`Database.rows`)."""
    found = await db.rows(_SETTLED_SINCE, {"since": since})
    return [(row.mrn, row.status) for row in found if row.status in statuses]


async def statuses_of(db: Database, mrns: list[str]) -> dict[str, str]:
    """The current status of each of `mrns` that has a read model (by primary key)."""
    found: dict[str, str] = {}
    for start in range(0, len(mrns), 500):
        found.update((row.mrn, row.status) for row in await db.rows(_STATUSES_OF, {"mrns": mrns[start : start + 500]}))
    return found


async def project_tasks(session: AsyncSession, tasks: list[Task], mrn: str, audit: list[AuditEvent]) -> None:
    statements = _statements(_dialect(session))
    await _write_tasks(session, statements, tasks)
    await _write_audit(session, statements, mrn, audit)
    await session.commit()


async def _write_tasks(session: AsyncSession, statements: dict[str, Any], tasks: list[Task]) -> None:
    for task in tasks:
        await fastsql.execute(
            session,
            statements["task"],
            {
                "id": task.id,
                "mrn": task.mrn,
                "workflow_id": task.workflow_id,
                "kind": task.kind.value,
                "role": task.role,
                "agency": task.agency,
                "state": task.state.value,
                "assignee": task.assignee,
                "due_at": task.due_at,
                "created_at": task.created_at,
                "version": task.version,
                "data": task.model_dump(mode="json"),
            },
        )


async def _write_audit(session: AsyncSession, statements: dict[str, Any], mrn: str, events: list[AuditEvent]) -> None:
    """Each new event becomes a leaf of the transparency log (store.audit_log), in this transaction."""
    await audit_log.append(session, mrn, events)


async def get_view(session: AsyncSession, mrn: str) -> ClearanceView | None:
    row = await session.get(ClearanceRecord, mrn)
    return ClearanceView.model_validate(row.view) if row else None


async def get_record(session: AsyncSession, mrn: str) -> ClearanceRecord | None:
    return await session.get(ClearanceRecord, mrn)


async def read_record(db: Database, mrn: str) -> Row[Any] | None:
    """A clearance's read model as a row (ClearanceRecord's attributes), on the hot path (`Database.rows`)."""
    found = await db.rows(_RECORD_BY_MRN, {"mrn": mrn})
    return found[0] if found else None


def encode_cursor(accepted_at: datetime, mrn: str) -> str:
    return base64.urlsafe_b64encode(f"{accepted_at.isoformat()}|{mrn}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Raises ValueError for a cursor this service did not issue."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, mrn = raw.split("|", 1)
        when = datetime.fromisoformat(at)
        if when.utcoffset() is None or len(mrn) > 18:  # issued cursors carry the UTC offset; naive ones never compare
            raise ValueError(raw)
        return when, mrn
    except Exception as exc:
        raise ValueError("cursor is not one this service issued") from exc


def listing_query(
    *,
    agency: str | None,
    declarant_eori: str | None,
    status: str | None,
    lane: str | None,
    stage: str | None,
    limit: int,
    cursor: str | None,
) -> Any:
    """A page of a listing, newest first, one row beyond `limit` (there is a next page): an agency's page is read
    in order from ix_clearances_agency_listing, a declarant's from ix_clearances_declarant, without sorting."""
    query = select(ClearanceRecord)
    if agency is not None:
        query = query.where(ClearanceRecord.agency == agency)
    if declarant_eori is not None:
        query = query.where(ClearanceRecord.declarant_eori == declarant_eori)
    for column, value in (
        (ClearanceRecord.status, status),
        (ClearanceRecord.lane, lane),
        (ClearanceRecord.stage, stage),
    ):
        if value is not None:
            query = query.where(column == value)
    if cursor:
        at, mrn = decode_cursor(cursor)
        query = query.where(
            or_(
                col(ClearanceRecord.accepted_at) < at,
                and_(col(ClearanceRecord.accepted_at) == at, col(ClearanceRecord.mrn) < mrn),
            )
        )
    return query.order_by(col(ClearanceRecord.accepted_at).desc(), col(ClearanceRecord.mrn).desc()).limit(limit + 1)


async def list_clearances(
    session: AsyncSession,
    *,
    agency: str | None,
    declarant_eori: str | None,
    status: str | None,
    lane: str | None,
    stage: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[ClearanceRecord], str | None]:
    """Newest first; `agency`/`declarant_eori` scope what the caller may see."""
    query = listing_query(
        agency=agency, declarant_eori=declarant_eori, status=status, lane=lane, stage=stage, limit=limit, cursor=cursor
    )
    rows = list((await session.exec(query)).all())
    next_cursor = encode_cursor(rows[limit - 1].accepted_at, rows[limit - 1].mrn) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def get_task(session: AsyncSession, task_id: str) -> TaskRecord | None:
    return await session.get(TaskRecord, task_id)


def _by_agency(found: list[Any], agencies: list[str]) -> list[Any]:
    if len(agencies) > 1:
        rank = {a: i for i, a in enumerate(agencies)}
        found.sort(key=lambda t: rank[t.agency])  # stable: by due time within each agency
    return found


async def list_tasks(
    session: AsyncSession,
    *,
    agency: str | list[str],
    roles: list[str],
    state: str | None,
    mrn: str | None,
    limit: int = 200,
) -> list[TaskRecord]:
    """Tasks of an agency (or of several, in the order given: each agency's by due time), for its roles."""
    agencies = [agency] if isinstance(agency, str) else agency
    if not agencies:
        return []
    owner = TaskRecord.agency == agencies[0] if len(agencies) == 1 else col(TaskRecord.agency).in_(agencies)
    query = select(TaskRecord).where(owner, col(TaskRecord.role).in_(roles))
    if state is not None:
        query = query.where(TaskRecord.state == state)
    if mrn is not None:
        query = query.where(TaskRecord.mrn == mrn)
    query = query.order_by(col(TaskRecord.due_at), col(TaskRecord.id)).limit(limit)
    return _by_agency(list((await session.exec(query)).all()), agencies)


async def read_tasks(
    db: Database, *, agency: str | list[str], roles: list[str], mrn: str, limit: int = 200
) -> list[Row[Any]]:
    """`list_tasks` of one clearance, in any state, as rows (TaskRecord's attributes), on the hot path."""
    agencies = [agency] if isinstance(agency, str) else agency
    if not agencies:
        return []
    found = await db.rows(_TASKS_OF_CLEARANCE, {"agencies": agencies, "roles": roles, "mrn": mrn, "limit": limit})
    return _by_agency(list(found), agencies)


async def audit_trail(session: AsyncSession, mrn: str) -> list[AuditRecord]:
    query = select(AuditRecord).where(AuditRecord.mrn == mrn).order_by(col(AuditRecord.leaf_index))  # the chain's order
    result = await session.exec(query)
    return list(result.all())


async def store_document(
    session: AsyncSession, *, mrn: str, kind: str, html: str, issued_at: datetime, commit: bool = True
) -> None:
    """Issued once: a retried write keeps the first document."""
    await fastsql.execute(
        session,
        _statements(_dialect(session))["document"],
        {"mrn": mrn, "kind": kind, "html": html, "issued_at": issued_at},
    )
    if commit:
        await session.commit()


async def get_document(session: AsyncSession, mrn: str, kind: str) -> DocumentRecord | None:
    return await session.get(DocumentRecord, (mrn, kind))


def summary(row: ClearanceRecord) -> dict[str, Any]:
    return {
        "mrn": row.mrn,
        "lrn": row.lrn,
        "status": row.status,
        "stage": row.stage,
        "lane": row.lane,
        "outcome": row.outcome,
        "sop": {"name": row.sop_name, "version": row.sop_version},
        "declarant_eori": row.declarant_eori,
        "accepted_at": row.accepted_at,
        "updated_at": row.updated_at,
        "links": {"self": f"/v1/clearances/{row.mrn}"},
    }
