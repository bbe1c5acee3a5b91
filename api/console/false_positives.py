"""The register of known false positives in the console: list and revoke them, and record one from a screening
review's evidence, through the false-positive routes of the JSON API."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.console.web import Officer, console_router, parse_form, redirect, render
from api.deps import ServicesDep
from api.routes import false_positives as fp_routes

router = console_router()
PAGE = "/console/screening/false-positives"


@router.get("/screening/false-positives")
async def register(request: Request, officer: Officer, services: ServicesDep, state: str = "active") -> HTMLResponse:
    chosen = state if state in ("active", "expired", "revoked", "void") else None
    found = await fp_routes.list_false_positives(officer, services, state=chosen)  # type: ignore[arg-type]
    may_act = bool(set(officer.roles) & set(fp_routes.RECORDING_ROLES))
    return render(request, "false_positives.html.j2", items=found["items"], state=chosen or "all", may_act=may_act)


def _local(url: Any) -> str:
    """Only a console page to go back to (never another site)."""
    text = str(url or "")
    return text if text.startswith("/console/") and "//" not in text else PAGE


@router.post("/screening/false-positives")
async def record(request: Request, officer: Officer, services: ServicesDep) -> Response:
    form = await request.form()
    body = parse_form(
        fp_routes.FalsePositiveCreate,
        {
            "party": {"name": form.get("party_name", ""), "country": form.get("party_country") or None},
            "list": form.get("list", ""),
            "entry_id": form.get("entry_id", ""),
            "reason": form.get("reason", ""),
            "expires_at": f"{form.get('expires_on')}T23:59:59Z" if form.get("expires_on") else None,
        },
    )
    created = await fp_routes.record_false_positive(body, officer, services)
    return redirect(request, _local(form.get("back")), f"Recorded {created['id']} as a known false positive")


@router.post("/screening/false-positives/{fp_id}/revoke")
async def revoke(request: Request, fp_id: str, officer: Officer, services: ServicesDep) -> Response:
    form = await request.form()
    body = parse_form(fp_routes.Revocation, {"reason": form.get("reason", "")})
    await fp_routes.revoke_false_positive(fp_id, body, officer, services)
    return redirect(request, PAGE, f"Revoked {fp_id}")
