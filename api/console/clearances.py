"""Clearance pages: search by MRN or by status, lane and stage; one clearance with its evidence, decisions,
timeline, licence balances, tasks, documents and audit trail; officers' actions on it (re-route, hold, release the
hold, schedule the joint inspection). Read and act through the service functions the JSON API uses
(`api.service`), so the workflow's validators decide exactly as they do for the API; the buttons offered are what
`domain.policy` allows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.evidence import screening_evidence
from api.console.web import Officer, PageError, act, console_router, parse_form, render
from api.deps import ServicesDep
from api.errors import ApiError, invalid
from api.service import clearances as clearance_service
from api.service import licences as licence_service
from api.service.clearances import ClearanceRead
from documents.findings import FindingsSheet, findings_sheet
from documents.findings import declared_quantities as quantities_of
from domain import policy
from domain.actions import HoldRequest, RerouteRequest, ScheduleRequest
from domain.clearance import Status
from domain.mrn import is_valid_mrn
from sop.model import Lane
from store.models import Principal

router = console_router()
PAGE_SIZE = 25
STATUSES = tuple(s.value for s in Status)
LANES = tuple(lane.value for lane in Lane)
STAGES = ("intake", "screening", "licence_check", "risk", "joint_inspection", "approval", "outcome", "invalidation")


async def licence_balances(officer: Principal, services: ServicesDep, view: dict[str, Any]) -> list[dict[str, Any]]:
    """Each licence the clearance's licence check used, with its remaining balance (as GET /v1/licences/{ref})."""
    items = (view.get("licences") or {}).get("items") or []
    references = sorted({i["licence_reference"] for i in items if i.get("licence_reference")})
    balances = []
    for reference in references:
        async with services.db.writer() as session:  # a cross-agency read of a licence is audited
            try:
                licence = await licence_service.get_licence(session=session, principal=officer, reference=reference)
            except ApiError as exc:
                balances.append({"reference": reference, "refused": exc.detail})
                continue
        balances.append(licence.model_dump(mode="json"))
    return balances


def declared_quantities(view: dict[str, Any]) -> dict[int, dict[str, Any] | None]:
    goods = ((view.get("declaration") or {}).get("goods_items")) or []
    return {g.get("sequence"): g.get("quantity") for g in goods}


def findings_sheets(view: dict[str, Any]) -> dict[str, FindingsSheet]:
    """Each agency's inspection findings as readable tables, by task id (the same sheets the notices show)."""
    inspection = view.get("inspection") or {}
    declared = quantities_of(((view.get("declaration") or {}).get("goods_items")) or [])
    tolerance = inspection.get("quantity_tolerance_pct")
    return {
        f["task_id"]: findings_sheet(f.get("findings"), declared, tolerance) for f in inspection.get("findings") or []
    }


async def clearance_context(officer: Principal, services: ServicesDep, mrn: str) -> dict[str, Any]:
    """What the clearance partial shows: the clearance as the API returns it, plus its licences' balances, the
    inspection findings as tables and the full list entries behind screening matches."""
    found = await clearance_service.get_clearance(services=services, principal=officer, mrn=mrn)
    view = found.model_dump(mode="json")
    return {
        "clearance": found,
        "view": view,
        "balances": await licence_balances(officer, services, view),
        "declared": declared_quantities(view),
        "sheets": findings_sheets(view),
        "evidence": await screening_evidence(services, view),
    }


@router.get("/clearances")
async def search(
    request: Request,
    officer: Officer,
    services: ServicesDep,
    q: str = "",
    status: str = "",
    lane: str = "",
    stage: str = "",
    cursor: str = "",
) -> Response:
    wanted = q.strip().upper()
    if wanted and is_valid_mrn(wanted):
        return RedirectResponse(f"/console/clearances/{wanted}", status_code=303)
    filters = {"q": q, "status": status, "lane": lane, "stage": stage}
    error: PageError | None = None
    if wanted:  # a valid MRN went straight to its clearance
        error = PageError(422, f"'{q.strip()}' is not an MRN (18 characters ending in a check character)", "q", "q")
    result: dict[str, Any] = {"items": [], "next_cursor": None}
    try:
        for name, value, allowed in (("status", status, STATUSES), ("lane", lane, LANES)):
            if value and value not in allowed:
                raise invalid(["query", name], f"'{value}' is not a {name}; use one of {', '.join(allowed)}")
        page = await clearance_service.list_clearances(
            services=services,
            principal=officer,
            status=status or None,
            lane=lane or None,
            stage=stage.strip()[:40] or None,
            limit=PAGE_SIZE,
            cursor=cursor or None,
        )
        result = page.model_dump()
    except ApiError as exc:
        named = exc.loc[-1] if exc.loc and exc.loc[-1] in filters else None
        error = PageError.of(exc, field_id=named)
    kept = {k: v for k, v in filters.items() if v and k != "q"}
    next_url = (
        "/console/clearances?" + urlencode({**kept, "cursor": result["next_cursor"]}) if result["next_cursor"] else None
    )
    first_url = "/console/clearances?" + urlencode(kept) if cursor else None
    return render(
        request,
        "clearances.html.j2",
        filters=filters,
        items=result["items"],
        next_url=next_url,
        first_url=first_url,
        error=error,
        statuses=STATUSES,
        lanes=LANES,
        stages=STAGES,
        status_code=error.status if error else 200,
    )


async def _clearance_page(
    request: Request,
    officer: Principal,
    services: ServicesDep,
    mrn: str,
    *,
    refused: ApiError | None = None,
    form: Mapping[str, Any] | None = None,
    action: str = "",
) -> HTMLResponse:
    context = await clearance_context(officer, services, mrn)
    clearance: ClearanceRead = context.pop("clearance")
    audit = None
    if policy.may_read_audit(officer, clearance.scope) is None:
        audit = (await clearance_service.audit_trail(services=services, principal=officer, mrn=mrn)).model_dump()
        audit = audit["events"]
    inspection = await clearance_service.inspection_roles(services=services, clearance=clearance)
    actions = OfficerActions(clearance, officer, inspection)
    error = None
    if refused is not None:
        field = str(refused.loc[1]) if refused.loc and len(refused.loc) > 1 else None
        error = PageError.of(refused, f"{action}-{field}" if field else None)
    return render(
        request,
        "clearance.html.j2",
        audit=audit,
        actions=actions,
        kept={action: _kept(form)},
        error=error,
        status_code=error.status if error else 200,
        **context,
    )


class OfficerActions:
    """Which of the officers' actions the page offers: what the policy allows this officer in the clearance's state
    (the workflow's validators ask the same rules and still have the last word). `inspection`: the agencies and roles
    of the SOP's joint inspection, if it has one."""

    def __init__(
        self, clearance: ClearanceRead, officer: Principal, inspection: tuple[list[str], list[str]] | None
    ) -> None:
        scope, undecided, hold = clearance.scope, clearance.undecided, clearance.hold
        self.reroute = undecided and clearance.lane is not None and policy.may_reroute(officer, scope) is None
        self.lanes = [lane for lane in LANES if lane != clearance.lane]
        self.hold = undecided and hold is None and policy.may_place_hold(officer, scope) is None
        placed_by = str(hold.get("by")) if hold else None
        hold_agency = str(hold.get("agency") or clearance.agency) if hold else None
        self.release = (
            undecided and hold is not None and policy.may_release_hold(officer, scope, placed_by, hold_agency) is None
        )
        inspecting = any(t.kind == "inspection_findings" and t.state == "open" for t in clearance.tasks)
        roles = inspection[1] if inspection else None
        self.schedule = undecided and inspecting and policy.may_schedule_inspection(officer, scope, roles) is None
        self.agencies: list[str] = list(dict.fromkeys(inspection[0])) if inspection and self.schedule else []

    @property
    def any(self) -> bool:
        return self.reroute or self.hold or self.release or self.schedule


@router.get("/clearances/{mrn}")
async def clearance_page(request: Request, mrn: str, officer: Officer, services: ServicesDep) -> HTMLResponse:
    return await _clearance_page(request, officer, services, mrn)


async def _act(
    request: Request,
    officer: Principal,
    services: ServicesDep,
    mrn: str,
    action: str,
    send: Callable[[Mapping[str, Any]], Awaitable[str]],
) -> Response:
    async def show_refusal(exc: ApiError, form: Mapping[str, Any]) -> Response:
        return await _clearance_page(request, officer, services, mrn, refused=exc, form=form, action=action)

    return await act(request, send, done_url=f"/console/clearances/{mrn}", show_refusal=show_refusal)


def _kept(form: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the officer entered, to show again with a refusal (checkboxes as the list of ticked values)."""
    if not form:
        return {}
    kept = dict(form)
    if hasattr(form, "getlist"):
        kept["agencies"] = form.getlist("agencies")
    return kept


def _text(form: Mapping[str, Any], name: str) -> str:
    return str(form.get(name) or "").strip()


@router.post("/clearances/{mrn}/lane")
async def reroute(request: Request, mrn: str, officer: Officer, services: ServicesDep) -> Response:
    async def send(form: Mapping[str, Any]) -> str:
        body = parse_form(RerouteRequest, {"lane": _text(form, "lane"), "reason": _text(form, "reason")})
        view = await clearance_service.reroute(services=services, principal=officer, mrn=mrn, request=body)
        return f"Clearance {mrn} re-routed to the {view.lane} lane."

    return await _act(request, officer, services, mrn, "reroute", send)


@router.post("/clearances/{mrn}/hold")
async def hold(request: Request, mrn: str, officer: Officer, services: ServicesDep) -> Response:
    async def send(form: Mapping[str, Any]) -> str:
        body = parse_form(HoldRequest, {"reason": _text(form, "reason")})
        await clearance_service.place_hold(services=services, principal=officer, mrn=mrn, request=body)
        return f"Clearance {mrn} is on hold."

    return await _act(request, officer, services, mrn, "hold", send)


@router.post("/clearances/{mrn}/hold/release")
async def release_hold(request: Request, mrn: str, officer: Officer, services: ServicesDep) -> Response:
    async def send(form: Mapping[str, Any]) -> str:
        body = parse_form(HoldRequest, {"reason": _text(form, "reason")})
        await clearance_service.release_hold(services=services, principal=officer, mrn=mrn, request=body)
        return f"The hold on clearance {mrn} is released."

    return await _act(request, officer, services, mrn, "release", send)


@router.post("/clearances/{mrn}/inspection/schedule")
async def schedule(request: Request, mrn: str, officer: Officer, services: ServicesDep) -> Response:
    async def send(form: Mapping[str, Any]) -> str:
        at = _text(form, "at")
        agencies = [str(a) for a in form.getlist("agencies")] if hasattr(form, "getlist") else []
        fields = {
            # The form's datetime-local input has no offset; the console works in UTC and says so.
            "at": f"{at}:00+00:00" if len(at) == 16 else at,
            "place": _text(form, "place"),
            "agencies": agencies or None,
            "note": _text(form, "note") or None,
        }
        body = parse_form(ScheduleRequest, fields)
        await clearance_service.schedule_inspection(services=services, principal=officer, mrn=mrn, request=body)
        return f"Joint inspection of {mrn} scheduled."

    return await _act(request, officer, services, mrn, "schedule", send)


@router.get("/clearances/{mrn}/documents/{kind}")
async def document(mrn: str, kind: str, officer: Officer, services: ServicesDep) -> HTMLResponse:
    """An issued notice as the API serves it, under the console's cookie session."""
    html = await clearance_service.document(services=services, principal=officer, mrn=mrn, kind=kind)
    return HTMLResponse(html)
