"""Lodging declarations: validate, pin the latest SOP, start the clearance workflow (idempotently)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from temporalio.client import WorkflowExecutionStatus
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api import metrics
from api.deps import CurrentPrincipal, ServicesDep, require_role
from api.errors import ApiError, forbidden, invalid, unavailable
from domain import search
from domain.clearance import ClearanceInput
from domain.declaration import Declaration
from domain.mrn import declaration_key, make_mrn, workflow_id_for_key
from stack.temporal import rpc_timeout
from store import clearances as clearance_store
from store import screening_lists
from store import sops as sop_store
from workflows.clearance import ClearanceWorkflow

router = APIRouter(prefix="/v1", tags=["declarations"])


def _accepted(mrn: str, status: str, sop: dict[str, Any]) -> dict[str, Any]:
    return {
        "mrn": mrn,
        "status": status,
        "sop": {"name": sop["name"], "version": sop["version"]},
        "links": {"self": f"/v1/clearances/{mrn}"},
    }


@router.post(
    "/declarations",
    status_code=202,
    summary="Lodge an export declaration",
    responses={
        200: {"description": "the same declaration again: the existing MRN"},
        409: {"description": "same declarant and LRN with a different body"},
        422: {"description": "invalid declaration; nothing started"},
    },
)
async def lodge_declaration(
    declaration: Declaration, principal: CurrentPrincipal, services: ServicesDep
) -> JSONResponse:
    require_role(principal, "declarant")
    if principal.eori != declaration.declarant.eori:
        raise forbidden(f"you may lodge declarations only as declarant {principal.eori}")
    async with services.db.session() as session:
        published = await sop_store.latest(session, services.settings.sop_name)
        # screening will use at least these: a list imported before this instant applies to this declaration
        list_revisions = await screening_lists.revisions(session)
    if published is None:
        raise ApiError(503, f"no version of SOP {services.settings.sop_name} is published")
    if declaration.declaration_type.value not in published.definition.declaration_types:
        raise invalid(
            ["body", "declaration_type"],
            f"SOP {published.ref.name} v{published.ref.version} does not handle declaration type "
            f"{declaration.declaration_type.value}",
        )
    now = datetime.now(UTC)
    key = declaration_key(declaration.declarant.eori, declaration.lrn)
    workflow_id = workflow_id_for_key(key)
    mrn = make_mrn(year=now.year, country=declaration.office_of_export[:2], key=key)
    body_hash = declaration.body_hash()
    structlog.contextvars.bind_contextvars(mrn=mrn, lrn=declaration.lrn)
    sop = {"name": published.ref.name, "version": published.ref.version}
    # The memo is encrypted by the codec (stack/codec.py) like every payload; the search attributes are not, so
    # they carry no personal data (domain/search.py).
    memo = {
        "mrn": mrn,
        "lrn": declaration.lrn,
        "declarant_eori": declaration.declarant.eori,
        "agency": published.definition.agency,
        "body_hash": body_hash,
        "sop": sop,
        "accepted_at": now.isoformat(),
    }
    try:
        await services.temporal.start_workflow(
            ClearanceWorkflow.run,
            ClearanceInput(
                mrn=mrn,
                lrn=declaration.lrn,
                declarant_eori=declaration.declarant.eori,
                body_hash=body_hash,
                accepted_at=now,
                declaration=declaration,
                sop=published.definition,
                sop_ref=published.ref,
                list_revisions=list_revisions,
            ),
            id=workflow_id,
            task_queue=services.settings.temporal_task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            rpc_timeout=rpc_timeout(services.settings),
            memo=memo,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(search.MRN, mrn),
                    SearchAttributePair(search.STATUS, "accepted"),
                    SearchAttributePair(search.SOP_VERSION, f"{published.ref.name}@{published.ref.version}"),
                ]
            ),
        )
    except WorkflowAlreadyStartedError:
        return await _existing(services, workflow_id, body_hash, declaration.lrn)
    except RPCError as exc:
        raise unavailable("the clearance engine is not reachable; lodge the same declaration again shortly") from exc
    metrics.DECLARATIONS.labels(result="accepted").inc()
    return JSONResponse(
        status_code=202, content=_accepted(mrn, "accepted", sop), headers={"Location": f"/v1/clearances/{mrn}"}
    )


async def _existing(services: ServicesDep, workflow_id: str, body_hash: str, lrn: str) -> JSONResponse:
    description = await services.temporal.get_workflow_handle(workflow_id).describe(
        rpc_timeout=rpc_timeout(services.settings)
    )
    memo = await description.memo()
    if memo.get("body_hash") != body_hash:
        metrics.DECLARATIONS.labels(result="conflict").inc()
        raise ApiError(
            409,
            f"LRN {lrn} was already lodged by this declarant with a different declaration "
            f"(MRN {memo.get('mrn')}); use a new LRN or invalidate the first",
        )
    async with services.db.session() as session:
        record = await clearance_store.get_record(session, memo["mrn"])
    if record is not None:
        status = record.status
    else:
        status = "accepted" if description.status == WorkflowExecutionStatus.RUNNING else "completed"
    metrics.DECLARATIONS.labels(result="duplicate").inc()
    return JSONResponse(
        status_code=200,
        content=_accepted(memo["mrn"], status, memo["sop"]),
        headers={"Location": f"/v1/clearances/{memo['mrn']}"},
    )
