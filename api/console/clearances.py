"""Clearance pages: search by MRN or by status, lane and stage; one clearance with its evidence, decisions,
timeline, licence balances, tasks, documents and audit trail; officers' actions on it (re-route, hold, release the
hold, schedule the joint inspection). Read and act through the JSON API's own route functions, so the workflow's
validators decide exactly as they do for the API."""

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
from api.routes import clearances as clearance_routes
from api.routes import licences as licence_routes
from documents.findings import FindingsSheet, findings_sheet
from documents.findings import declared_quantities as quantities_of
from domain.clearance import Status
from domain.mrn import is_valid_mrn
from sop.model import InspectionStep, Lane
from store import sops as sop_store
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
        async with services.db.session() as session:
            try:
                licence = await licence_routes.get_licence(reference, officer, session)
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
    view = await clearance_routes.get_clearance(mrn, officer, services)
    return {
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
        result = await clearance_routes.list_clearances(
            officer,
            services,
            status=status or None,  # type: ignore[arg-type]
            lane=lane or None,  # type: ignore[arg-type]
            stage=stage.strip()[:40] or None,
            limit=PAGE_SIZE,
            cursor=cursor or None,
        )
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
    try:
        audit = (await clearance_routes.audit_trail(mrn, officer, services))["events"]
    except ApiError:
        audit = None
    actions = OfficerActions(context["view"], officer)
    if actions.schedule:
        actions.agencies = await inspection_agencies(services, context["view"])
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


async def inspection_agencies(services: ServicesDep, view: Mapping[str, Any]) -> list[str]:
    """The agencies the clearance's pinned SOP names for its joint inspection."""
    sop = view.get("sop") or {}
    async with services.db.session() as session:
        published = await sop_store.get(session, str(sop.get("name")), int(sop.get("version") or 0))
    if published is None:
        return []
    return [a.agency for step in published.definition.steps if isinstance(step, InspectionStep) for a in step.agencies]


class OfficerActions:
    """Which of the officers' actions the page offers; the workflow's validators still have the last word."""

    def __init__(self, view: Mapping[str, Any], officer: Principal) -> None:
        roles = set(officer.roles)
        undecided = view.get("outcome") is None and view.get("status") not in ("completed", "invalidated")
        self.reroute = undecided and view.get("lane") is not None and bool(roles & {"customs_officer", "supervisor"})
        self.lanes = [lane for lane in LANES if lane != view.get("lane")]
        hold_roles = {"customs_officer", "export_control_officer", "supervisor"}
        self.hold = undecided and view.get("hold") is None and bool(roles & hold_roles)
        self.release = undecided and view.get("hold") is not None and bool(roles & hold_roles)
        inspecting = any(
            t.get("kind") == "inspection_findings" and t.get("state") == "open" for t in view.get("tasks") or []
        )
        self.schedule = undecided and inspecting
        self.agencies: list[str] = []

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
        body = parse_form(
            clearance_routes.RerouteRequest, {"lane": _text(form, "lane"), "reason": _text(form, "reason")}
        )
        view = await clearance_routes.reroute(mrn, body, officer, services)
        return f"Clearance {mrn} re-routed to the {view['lane']} lane."

    return await _act(request, officer, services, mrn, "reroute", send)


@router.post("/clearances/{mrn}/hold")
async def hold(request: Request, mrn: str, officer: Officer, services: ServicesDep) -> Response:
    async def send(form: Mapping[str, Any]) -> str:
        body = parse_form(clearance_routes.HoldRequest, {"reason": _text(form, "reason")})
        await clearance_routes.place_hold(mrn, body, officer, services)
        return f"Clearance {mrn} is on hold."

    return await _act(request, officer, services, mrn, "hold", send)


@router.post("/clearances/{mrn}/hold/release")
async def release_hold(request: Request, mrn: str, officer: Officer, services: ServicesDep) -> Response:
    async def send(form: Mapping[str, Any]) -> str:
        body = parse_form(clearance_routes.HoldRequest, {"reason": _text(form, "reason")})
        await clearance_routes.release_hold(mrn, body, officer, services)
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
        body = parse_form(clearance_routes.ScheduleRequest, fields)
        await clearance_routes.schedule_inspection(mrn, body, officer, services)
        return f"Joint inspection of {mrn} scheduled."

    return await _act(request, officer, services, mrn, "schedule", send)


@router.get("/clearances/{mrn}/documents/{kind}")
async def document(mrn: str, kind: str, officer: Officer, services: ServicesDep) -> HTMLResponse:
    """An issued notice as the API serves it, under the console's cookie session."""
    return await clearance_routes.get_document(mrn, kind, officer, services)
