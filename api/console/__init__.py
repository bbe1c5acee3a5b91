"""The officers' console: server-rendered pages at /console (Jinja2, plain HTML and CSS, no JavaScript).

Every page reads, and every button acts, through the JSON API's own route functions, so the console can never
allow what the API refuses; a refusal is shown on the page. Sign-in takes an API token and keeps it in an
HttpOnly, SameSite=Strict cookie. None of it is in the OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.console import clearances, exchange, false_positives, inbox, licences, reports, signin, sops, tasks
from api.console.web import PageError, console_router, error_page

_fallback = console_router()


@_fallback.get("/{rest:path}")
async def not_found(request: Request, rest: str) -> HTMLResponse:
    return error_page(request, PageError(404, f"there is no console page /console/{rest}"))


router = APIRouter(include_in_schema=False)
for module in (signin, inbox, tasks, clearances, sops, reports, false_positives, licences, exchange):
    router.include_router(module.router)
router.include_router(_fallback)
