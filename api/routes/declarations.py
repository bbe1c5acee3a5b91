"""Lodging declarations: validate, pin the latest SOP, start the clearance workflow (idempotently)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Header
from temporalio.client import WorkflowExecutionStatus
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api import metrics
from api.clearance_access import MEMO_KEY, accepted_view, clearance_memo, settled_body
from api.deps import CurrentPrincipal, ServicesDep
from api.errors import ApiError, check, invalid, unavailable
from api.responses import JSONResponse
from api.service import trade as trade_service
from api.service.parties import parties_for
from api.waiting import applied, wait_preference
from domain import policy, search
from domain.clearance import INTERPRETER_GENERATION, ClearanceInput
from domain.declaration import Declaration
from domain.mrn import declaration_key, make_mrn, workflow_id_for_key
from stack.temporal import rpc_timeout
from store import clearances as clearance_store
from store import screening_lists
from workflows.clearance import ClearanceWorkflow

router = APIRouter(prefix="/v1", tags=["declarations"])
log = structlog.get_logger("api")
PREFER = Header(
    description="RFC 7240 `wait=N`: answer 200 with the clearance once it has an outcome or awaits a person's "
    "decision within N seconds (at most 30), else the usual answer; other preferences and bad values are ignored",
)


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
        200: {
            "description": "the same declaration again: the existing MRN; or, with `Prefer: wait=N`, the clearance "
            "(its view and `links`) settled within N seconds, with `Preference-Applied`"
        },
        409: {"description": "same declarant and LRN with a different body"},
        422: {"description": "invalid declaration; nothing started"},
    },
)
async def lodge_declaration(
    declaration: Declaration,
    principal: CurrentPrincipal,
    services: ServicesDep,
    prefer: Annotated[list[str] | None, PREFER] = None,
) -> JSONResponse:
    check(policy.may_lodge(principal, declaration.declarant.eori))
    wait = wait_preference(prefer or [])
    now = datetime.now(UTC)
    # each read on the database's hot path (`Database.rows`: no session per request)
    published = await services.latest_sop(services.settings.sop_name)
    # screening will use at least these: a list imported before this instant applies to this declaration
    list_revisions = await screening_lists.read_revisions(services.db)
    if published is None:
        raise ApiError(503, f"no version of SOP {services.settings.sop_name} is published")
    if declaration.declaration_type.value not in published.definition.declaration_types:
        raise invalid(
            ["body", "declaration_type"],
            f"SOP {published.ref.name} v{published.ref.version} does not handle declaration type "
            f"{declaration.declaration_type.value}",
        )
    trade = await trade_service.standing(
        db=services.db,
        principal=principal,
        declaration=declaration,
        agency=published.definition.agency,
        on=now.date(),
    )
    key = declaration_key(declaration.declarant.eori, declaration.lrn)
    workflow_id = workflow_id_for_key(key)
    mrn = make_mrn(year=now.year, country=declaration.office_of_export[:2], key=key)
    body_hash = declaration.body_hash()
    # The AEO register's answer applies, not the declaration's claim (kept in `trade.aeo.claimed`).
    declaration = declaration.model_copy(update={"aeo": trade.aeo.applied})
    structlog.contextvars.bind_contextvars(mrn=mrn, lrn=declaration.lrn)
    sop = {"name": published.ref.name, "version": published.ref.version}
    # The memo is encrypted by the codec (stack/codec.py) like every payload; the search attributes are not, so
    # they carry no personal data (domain/search.py). One entry: each would be a payload converted and sealed.
    fields = {
        "mrn": mrn,
        "lrn": declaration.lrn,
        "declarant_eori": declaration.declarant.eori,
        "agency": published.definition.agency,
        "body_hash": body_hash,
        "sop": sop,
        "accepted_at": now.isoformat(),
    }
    memo = {MEMO_KEY: fields}
    inp = ClearanceInput(
        mrn=mrn,
        lrn=declaration.lrn,
        declarant_eori=declaration.declarant.eori,
        body_hash=body_hash,
        accepted_at=now,
        declaration=declaration,
        sop=published.definition,
        sop_ref=published.ref,
        list_revisions=list_revisions,
        parties=await parties_for(
            services, customs=published.definition.agency, country=declaration.office_of_export[:2]
        ),
        trade=trade,
        interpreter=INTERPRETER_GENERATION,
    )
    try:
        await services.temporal.start_workflow(
            ClearanceWorkflow.run,
            inp,
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
        return await _existing(services, workflow_id, inp, wait)
    except RPCError as exc:
        raise unavailable("the clearance engine is not reachable; lodge the same declaration again shortly") from exc
    metrics.DECLARATIONS.labels(result="accepted").inc()
    await _record_accepted(services, inp, workflow_id)
    return await _answer(services, 202, _accepted(mrn, "accepted", sop), wait)


async def _record_accepted(services: ServicesDep, inp: ClearanceInput, workflow_id: str) -> None:
    """The read model from acceptance on, so reads never have to ask the workflow. The workflow runs already:
    when this write fails, its own first projection writes the row, and reads rebuild it from the memo until then."""
    try:
        await clearance_store.record_accepted(services.db, accepted_view(inp, workflow_id))
    except Exception as exc:
        log.warning("accepted_read_model_not_written", error=str(exc))


async def _answer(services: ServicesDep, status_code: int, body: dict[str, Any], wait: float | None) -> JSONResponse:
    """The lodging's answer; with `Prefer: wait=N`, the settled clearance (200) when it settles within N seconds."""
    headers = {"Location": body["links"]["self"]}
    if wait is not None:
        headers["Preference-Applied"] = applied(wait)
        settled = await settled_body(services, body["mrn"], wait)
        if settled is not None:
            return JSONResponse(status_code=200, content=settled, headers=headers)
    return JSONResponse(status_code=status_code, content=body, headers=headers)


async def _existing(services: ServicesDep, workflow_id: str, inp: ClearanceInput, wait: float | None) -> JSONResponse:
    body_hash, lrn = inp.body_hash, inp.lrn
    description = await services.temporal.get_workflow_handle(workflow_id).describe(
        rpc_timeout=rpc_timeout(services.settings)
    )
    memo = clearance_memo(await description.memo())
    if memo.get("body_hash") != body_hash:
        metrics.DECLARATIONS.labels(result="conflict").inc()
        raise ApiError(
            409,
            f"LRN {lrn} was already lodged by this declarant with a different declaration "
            f"(MRN {memo.get('mrn')}); use a new LRN or invalidate the first",
        )
    async with services.db.reader() as session:
        record = await clearance_store.get_record(session, memo["mrn"])
    if record is not None:
        status = record.status
    else:
        status = "accepted" if description.status == WorkflowExecutionStatus.RUNNING else "completed"
    metrics.DECLARATIONS.labels(result="duplicate").inc()
    return await _answer(services, 200, _accepted(memo["mrn"], status, memo["sop"]), wait)
