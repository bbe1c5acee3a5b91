"""Who may see a clearance, and finding it: the read model first, then (for the first moments after
acceptance, before the workflow has written it) the workflow's own memo."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from temporalio.service import RPCError, RPCStatusCode

from api.deps import READER_ROLES, Services
from api.errors import forbidden, invalid, not_found, unavailable
from domain.mrn import is_valid_mrn, workflow_id_for_mrn
from stack.temporal import rpc_timeout
from store import clearances as clearance_store
from store.models import ClearanceRecord, Principal


@dataclass
class ClearanceRef:
    mrn: str
    workflow_id: str
    declarant_eori: str
    agency: str
    record: ClearanceRecord | None
    memo: dict[str, Any]


def may_read(principal: Principal, *, declarant_eori: str, agency: str) -> bool:
    if "declarant" in principal.roles and principal.eori == declarant_eori:
        return True
    return bool(set(principal.roles) & set(READER_ROLES)) and principal.agency == agency


async def find_clearance(services: Services, principal: Principal, mrn: str) -> ClearanceRef:
    structlog.contextvars.bind_contextvars(mrn=mrn)
    if not is_valid_mrn(mrn):
        raise invalid(["path", "mrn"], "not a valid MRN (18 characters with an ISO 6346 check character)")
    async with services.db.session() as session:
        record = await clearance_store.get_record(session, mrn)
    if record is not None:
        ref = ClearanceRef(mrn, record.workflow_id, record.declarant_eori, record.agency, record, {})
    else:
        workflow_id = workflow_id_for_mrn(mrn)
        try:
            handle = services.temporal.get_workflow_handle(workflow_id)
            description = await handle.describe(rpc_timeout=rpc_timeout(services.settings))
            memo = await description.memo()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise not_found(f"clearance {mrn}") from exc
            raise unavailable("the workflow service is unavailable; retry shortly") from exc
        if memo.get("mrn") != mrn:
            raise not_found(f"clearance {mrn}")
        ref = ClearanceRef(mrn, workflow_id, memo["declarant_eori"], memo["agency"], None, dict(memo))
    if not may_read(principal, declarant_eori=ref.declarant_eori, agency=ref.agency):
        raise forbidden(f"clearance {mrn} belongs to another declarant or agency")
    return ref


def provisional_view(ref: ClearanceRef) -> dict[str, Any]:
    """The view of a clearance accepted moments ago, before its workflow first wrote the read model."""
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
        "inspection_schedule": None,
        "tasks": [],
        "declarant_eori": ref.declarant_eori,
        "agency": ref.agency,
        "accepted_at": memo["accepted_at"],
        "updated_at": memo["accepted_at"],
    }
