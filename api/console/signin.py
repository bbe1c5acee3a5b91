"""Signing in to the console with an API token, which opens a server-side session (its random id in an HttpOnly,
SameSite=Strict cookie; the token itself never goes into the cookie), and signing out, which deletes it."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from api.console.web import (
    LOGIN,
    SESSION_COOKIE,
    PageError,
    console_router,
    home_for,
    is_staff,
    redirect,
    render,
)
from api.deps import ServicesDep
from store import principals

router = console_router()
STYLESHEET = Path(__file__).parent / "static" / "console.css"


def _safe_next(target: str | None) -> str | None:
    """Only a console page of this site: never an open redirect."""
    if target and target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/login")
async def login_form(request: Request, services: ServicesDep, next: str | None = None) -> Response:
    session_id = request.cookies.get(SESSION_COOKIE)
    principal = await services.console_principal(session_id) if session_id else None
    if principal is not None:
        return RedirectResponse(_safe_next(next) or home_for(principal), status_code=303)
    return render(request, "login.html.j2", next=_safe_next(next))


@router.post("/login")
async def login(request: Request, services: ServicesDep) -> Response:
    form = await request.form()
    token = str(form.get("token") or "").strip()
    target = _safe_next(str(form.get("next") or ""))
    principal = await services.principal(token) if token else None
    session_id = None
    if principal is not None:
        hours = services.settings.console_session_hours
        async with services.db.writer() as session:
            session_id = await principals.open_session(session, token=token, hours=hours)
    if principal is None or session_id is None:
        detail = (
            "Enter your access token" if not token else "That access token is not recognised, expired or was revoked"
        )
        error = PageError(401, detail, "token", "token")
        return render(request, "login.html.j2", next=target, error=error, status_code=401)
    where = (target if is_staff(principal) else None) or home_for(principal)
    response = redirect(request, where, f"Signed in as {principal.name}.")
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(services.settings.console_session_hours * 3600),
        path="/console",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
async def logout(request: Request, services: ServicesDep) -> Response:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        async with services.db.writer() as session:
            await principals.end_session(session, session_id)
    response = redirect(request, LOGIN, "You have signed out.")
    response.delete_cookie(SESSION_COOKIE, path="/console", httponly=True, samesite="strict")
    return response


@router.get("/static/console.css")
async def stylesheet() -> FileResponse:
    return FileResponse(STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})
