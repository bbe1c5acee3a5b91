"""Who may see a clearance, and finding it: in the read model, which exists from acceptance on (the API writes it
at revision 0 when the workflow starts). A clearance without a row (lodged by an older release, or the row's write
failed) is found by the workflow's memo (describe, never a query: queries compete with the workflow's tasks)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import Row
from temporalio.service import RPCError, RPCStatusCode

from api.deps import Services
from api.errors import check, invalid, not_found, unavailable
from api.waiting import SETTLED
from domain import audience, policy
from domain.clearance import ClearanceInput, ClearanceView, Status, TimelineEntry
from domain.mrn import is_valid_mrn, workflow_id_for_mrn
from stack.temporal import rpc_timeout
from store import clearances as clearance_store
from store import cross_agency_reads
from store.models import ClearanceRecord, Principal

MEMO_KEY = "clearance"  # the workflow's memo: its fields under one entry (one payload to convert and seal)


def clearance_memo(memo: Mapping[str, Any]) -> dict[str, Any]:
    """What the API wrote in a clearance workflow's memo at lodging (`api/routes/declarations.py`): the fields
    under one key, or, for clearances lodged before that, each field a key of its own."""
    found = memo.get(MEMO_KEY)
    return dict(found) if isinstance(found, dict) else dict(memo)


@dataclass
class ClearanceRef:
    mrn: str
    workflow_id: str
    declarant_eori: str
    agency: str
    record: ClearanceRecord | Row[Any] | None  # a row on the hot path (store.clearances.read_record)
    memo: dict[str, Any]
    parties: tuple[str, ...] = ()  # the other agencies with a standing or a task on it

    @property
    def scope(self) -> policy.ClearanceScope:
        """The clearance as the permission rules see it."""
        return policy.ClearanceScope(self.mrn, self.declarant_eori, self.agency, self.parties)


def standing_agencies(view: dict[str, Any] | None) -> tuple[str, ...]:
    """The agencies with a standing in a stored view (`agencies`)."""
    return tuple(str(s.get("agency")) for s in (view or {}).get("agencies") or [] if isinstance(s, dict))


async def _with_task_party(services: Services, principal: Principal, ref: ClearanceRef) -> ClearanceRef:
    """An agency with a task on the clearance takes part in it, standing or not (a post-release alert)."""
    if principal.agency == ref.agency or principal.agency in ref.parties or not policy.is_reader(principal):
        return ref
    async with services.db.reader() as session:
        tasks = await clearance_store.list_tasks(
            session, agency=principal.agency, roles=list(policy.TASK_ROLES), state=None, mrn=ref.mrn, limit=1
        )
        if tasks and ref.record is not None:  # its task is newer than the view read first: read the view again
            ref.record = await clearance_store.get_record(session, ref.mrn) or ref.record
            ref.parties = standing_agencies(ref.record.view)
    if tasks:
        ref.parties = tuple(dict.fromkeys((*ref.parties, principal.agency)))
    return ref


async def audit_cross_agency_read(services: Services, principal: Principal, ref: ClearanceRef) -> None:
    """A read allowed by a cross-agency rule is an audit event (one per principal and clearance an hour)."""
    async with services.db.writer() as session:
        if await cross_agency_reads.record(
            session,
            mrn=ref.mrn,
            principal_id=principal.id,
            agency=principal.agency,
            owner=ref.agency,
            at=datetime.now(UTC),
        ):
            await session.commit()


async def find_clearance(services: Services, principal: Principal, mrn: str) -> ClearanceRef:
    structlog.contextvars.bind_contextvars(mrn=mrn)
    if not is_valid_mrn(mrn):
        raise invalid(["path", "mrn"], "not a valid MRN (18 characters with an ISO 6346 check character)")
    record = await clearance_store.read_record(services.db, mrn)
    if record is not None:
        ref = ClearanceRef(
            mrn, record.workflow_id, record.declarant_eori, record.agency, record, {}, standing_agencies(record.view)
        )
    else:
        workflow_id = workflow_id_for_mrn(mrn)
        try:
            handle = services.temporal.get_workflow_handle(workflow_id)
            description = await handle.describe(rpc_timeout=rpc_timeout(services.settings))
            memo = clearance_memo(await description.memo())
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise not_found(f"clearance {mrn}") from exc
            raise unavailable("the workflow service is unavailable; retry shortly") from exc
        if memo.get("mrn") != mrn:
            raise not_found(f"clearance {mrn}")
        ref = ClearanceRef(mrn, workflow_id, memo["declarant_eori"], memo["agency"], None, memo)
    ref = await _with_task_party(services, principal, ref)
    check(policy.may_read_clearance(principal, ref.scope))
    if policy.is_cross_agency_read(principal, ref.scope):
        await audit_cross_agency_read(services, principal, ref)
    return ref


def accepted_view(inp: ClearanceInput, workflow_id: str) -> ClearanceView:
    """The view at acceptance (revision 0), as the workflow starts it; its first projection supersedes it."""
    return ClearanceView(
        mrn=inp.mrn,
        lrn=inp.lrn,
        workflow_id=workflow_id,
        declarant_eori=inp.declarant_eori,
        agency=inp.sop.agency,
        status=Status.accepted,
        stage="intake",
        sop=inp.sop_ref,
        declaration=inp.declaration,
        trade=inp.trade,
        accepted_at=inp.accepted_at,
        updated_at=inp.accepted_at,
        timeline=[TimelineEntry(stage="intake", started_at=inp.accepted_at)],
        revision=0,
    )


def _task_summary(data: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "kind", "role", "state", "assignee", "due_at", "created_at", "title", "outcome", "completed_by")
    return {k: data.get(k) for k in keys}


async def view_body(
    services: Services, record: ClearanceRecord | Row[Any], reader_agency: str | None = None
) -> dict[str, Any]:
    """What GET /v1/clearances/{mrn} answers for a clearance with a read model: its view and its tasks — an officer's
    view those of its own agency (`reader_agency`: an agency never sees another's tasks); without one (the declarant's
    view, `Prefer: wait`) those of every agency taking part, as before agencies were parties."""
    body = dict(record.view)
    if record.revision == 0:  # as accepted: only the worker's projections write tasks (and a revision >= 1)
        body["tasks"] = []
        return body
    agencies = (
        [reader_agency] if reader_agency else list(dict.fromkeys([record.agency, *standing_agencies(record.view)]))
    )
    tasks = await clearance_store.read_tasks(
        services.db, agency=agencies, roles=list(policy.TASK_ROLES), mrn=record.mrn
    )
    # The view read again after its tasks: a task and the view that opened it are written in one transaction,
    # and each read sees the database as committed when it ran, so a view read first could lag a task read
    # after it (an approval task open beside a view without the inspection that led to it). Without tasks
    # there is nothing for it to lag (the green lane's polling reads once).
    fresh = await clearance_store.read_record(services.db, record.mrn) if tasks else None
    if fresh is not None and fresh.revision >= record.revision:
        body = dict(fresh.view)
    body["tasks"] = [_task_summary(t.data) for t in tasks]
    return body


async def settle(services: Services, ref: ClearanceRef, wait: float) -> ClearanceRef:
    """Wait up to `wait` seconds for the clearance to be settled (an outcome, or awaiting a decision); the
    reference with its read model as it is then."""
    if ref.record is not None and ref.record.status in SETTLED:
        return ref
    if await services.watcher.wait(ref.mrn, wait) is None:
        return ref
    record = await clearance_store.read_record(services.db, ref.mrn)
    return ClearanceRef(
        ref.mrn, ref.workflow_id, ref.declarant_eori, ref.agency, record or ref.record, ref.memo, ref.parties
    )


async def settled_body(services: Services, mrn: str, wait: float) -> dict[str, Any] | None:
    """For `Prefer: wait` on lodging: the clearance's view with `links` once settled within `wait` seconds."""
    if await services.watcher.wait(mrn, wait) is None:
        return None
    record = await clearance_store.read_record(services.db, mrn)
    if record is None:  # pragma: no cover - the watcher saw the row
        return None
    # only a declarant lodges: it gets the declarant's view
    return audience.declarant_view({**await view_body(services, record), "links": {"self": f"/v1/clearances/{mrn}"}})


def provisional_view(ref: ClearanceRef) -> dict[str, Any]:
    """The view of a clearance without a read model, from its workflow's memo (a provisional view)."""
    memo = ref.memo
    return {
        "mrn": ref.mrn,
        "lrn": memo["lrn"],
        "status": "accepted",
        "stage": "intake",
        "lane": None,
        "outcome": None,
        "sop": memo["sop"],
        "declaration": memo.get("declaration"),
        "screening": None,
        "licences": None,
        "inspection": None,
        "decisions": [],
        "timeline": [{"stage": "intake", "started_at": memo["accepted_at"], "ended_at": None, "actor": None}],
        "documents": [],
        "hold": None,
        "agencies": [],
        "inspection_schedule": None,
        "tasks": [],
        "declarant_eori": ref.declarant_eori,
        "agency": ref.agency,
        "accepted_at": memo["accepted_at"],
        "updated_at": memo["accepted_at"],
    }
