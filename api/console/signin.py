"""Signing in to the console with an API token (kept in an HttpOnly, SameSite=Strict cookie) and signing out."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from api.console.web import (
    LOGIN,
    SESSION_COOKIE,
    SESSION_SECONDS,
    PageError,
    console_router,
    home_for,
    is_staff,
    redirect,
    render,
)
from api.deps import ServicesDep

router = console_router()
STYLESHEET = Path(__file__).parent / "static" / "console.css"


def _safe_next(target: str | None) -> str | None:
    """Only a console page of this site: never an open redirect."""
    if target and target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/login")
async def login_form(request: Request, services: ServicesDep, next: str | None = None) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    principal = await services.principal(token) if token else None
    if principal is not None:
        return RedirectResponse(_safe_next(next) or home_for(principal), status_code=303)
    return render(request, "login.html.j2", next=_safe_next(next))


@router.post("/login")
async def login(request: Request, services: ServicesDep) -> Response:
    form = await request.form()
    token = str(form.get("token") or "").strip()
    target = _safe_next(str(form.get("next") or ""))
    principal = await services.principal(token) if token else None
    if principal is None:
        detail = "Enter your access token" if not token else "That access token is not recognised or was revoked"
        error = PageError(401, detail, "token", "token")
        return render(request, "login.html.j2", next=target, error=error, status_code=401)
    where = (target if is_staff(principal) else None) or home_for(principal)
    response = redirect(request, where, f"Signed in as {principal.name}.")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_SECONDS,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    response = redirect(request, LOGIN, "You have signed out.")
    response.delete_cookie(SESSION_COOKIE, path="/console", httponly=True, samesite="strict")
    return response


@router.get("/static/console.css")
async def stylesheet() -> FileResponse:
    return FileResponse(STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})
