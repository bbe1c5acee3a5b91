"""The export-control authority's licence page in the console: its licences, each with its balance per line and
the live consumption ledger (every depletion and restoration, with the balance after it), and the authority's
actions (suspend, reinstate, revoke), through the licence service the JSON API uses."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.console.web import Officer, console_router, parse_form, redirect, render
from api.deps import ServicesDep
from api.service import licences as licence_service
from domain import policy
from domain.licence import LicenceStateChange

router = console_router()
ACTIONS = {"suspend": "Suspended", "reinstate": "Reinstated", "revoke": "Revoked"}


@router.get("/licences")
async def licences(request: Request, officer: Officer, services: ServicesDep) -> HTMLResponse:
    async with services.db.session() as session:
        items = await licence_service.issued_by(session=session, principal=officer)
    return render(request, "licences.html.j2", items=[i.model_dump() for i in items])


@router.get("/licences/{reference}")
async def licence(request: Request, reference: str, officer: Officer, services: ServicesDep) -> HTMLResponse:
    async with services.db.writer() as session:  # a cross-agency read of a licence is audited
        ledger = await licence_service.ledger(session=session, principal=officer, reference=reference)
        view = await licence_service.get_licence(session=session, principal=officer, reference=reference)
    may_act = policy.may_manage_licence(officer, view.issuer_agency) is None
    return render(request, "licence.html.j2", licence=view.model_dump(), ledger=ledger.model_dump(), may_act=may_act)


@router.post("/licences/{reference}/{action}")
async def change(request: Request, reference: str, action: str, officer: Officer, services: ServicesDep) -> Response:
    if action not in ACTIONS:
        return redirect(request, f"/console/licences/{reference}", f"There is no action {action}")
    form = await request.form()
    body = parse_form(LicenceStateChange, {"reason": form.get("reason", "")})
    async with services.db.writer() as session:
        await licence_service.change_state(
            session=session, principal=officer, reference=reference, action=action, reason=body.reason
        )
    return redirect(request, f"/console/licences/{reference}", f"{ACTIONS[action]} licence {reference}")
