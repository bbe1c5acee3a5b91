"""The register of known false positives in the console: list and revoke them, and record one from a screening
review's evidence, through the false-positive service the JSON API uses."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.console.web import Officer, console_router, parse_form, redirect, render
from api.deps import ServicesDep
from api.service import false_positives as fp_service
from domain import policy

router = console_router()
PAGE = "/console/screening/false-positives"


@router.get("/screening/false-positives")
async def register(request: Request, officer: Officer, services: ServicesDep, state: str = "active") -> HTMLResponse:
    chosen = state if state in ("active", "expired", "revoked", "void") else None
    found = await fp_service.register(services=services, principal=officer, state=chosen)  # type: ignore[arg-type]
    may_act = policy.may_record_false_positive(officer) is None
    items = [entry.model_dump() for entry in found]
    return render(request, "false_positives.html.j2", items=items, state=chosen or "all", may_act=may_act)


def _local(url: Any) -> str:
    """Only a console page to go back to (never another site)."""
    text = str(url or "")
    return text if text.startswith("/console/") and "//" not in text else PAGE


@router.post("/screening/false-positives")
async def record(request: Request, officer: Officer, services: ServicesDep) -> Response:
    form = await request.form()
    body = parse_form(
        fp_service.FalsePositiveCreate,
        {
            "party": {"name": form.get("party_name", ""), "country": form.get("party_country") or None},
            "list": form.get("list", ""),
            "entry_id": form.get("entry_id", ""),
            "reason": form.get("reason", ""),
            "expires_at": f"{form.get('expires_on')}T23:59:59Z" if form.get("expires_on") else None,
        },
    )
    created = await fp_service.record(services=services, principal=officer, request=body)
    return redirect(request, _local(form.get("back")), f"Recorded {created.id} as a known false positive")


@router.post("/screening/false-positives/{fp_id}/revoke")
async def revoke(request: Request, fp_id: str, officer: Officer, services: ServicesDep) -> Response:
    form = await request.form()
    body = parse_form(fp_service.Revocation, {"reason": form.get("reason", "")})
    await fp_service.revoke(services=services, principal=officer, fp_id=fp_id, request=body)
    return redirect(request, PAGE, f"Revoked {fp_id}")
