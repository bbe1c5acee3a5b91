"""What every console page shares: templates, the signed-in officer, flash messages after POST-redirect-GET, and
turning the API's refusals into pages (never JSON, never a 500 for something a user did)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, unquote, urlsplit

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import ChainableUndefined, Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, ValidationError

from api.console.formatting import FILTERS, field_path
from api.deps import ServicesDep
from api.errors import ApiError
from domain import policy
from store.models import Principal

SESSION_COOKIE = "console_session"
FLASH_COOKIE = "console_flash"
LOGIN = "/console/login"

_env = Environment(
    loader=PackageLoader("api.console", "templates"),
    autoescape=select_autoescape(["html", "j2"], default_for_string=True),
    # A page shows "—" for a missing detail rather than failing: read models of older clearances lack fields.
    undefined=ChainableUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.do"],
)
_env.filters.update(FILTERS)


class SignInRequired(Exception):
    pass


class NotStaff(Exception):
    pass


@dataclass(frozen=True)
class PageError:
    """An API refusal as a page shows it: what went wrong, and which field (with the id of its input)."""

    status: int
    detail: str
    path: str = ""
    field_id: str | None = None

    @classmethod
    def of(cls, exc: ApiError, field_id: str | None = None) -> PageError:
        return cls(exc.status, exc.detail, field_path(exc.loc) if exc.loc else "", field_id)

    @property
    def message(self) -> str:
        """The detail without the field path it may begin with (the page shows the field beside it)."""
        return self.detail.removeprefix(f"{self.path}: ") if self.path else self.detail

    @property
    def title(self) -> str:
        return {
            401: "You need to sign in",
            403: "Not allowed",
            404: "Not found",
            409: "That could not be done now",
            422: "Check what you entered",
            503: "Try again in a moment",
        }.get(self.status, "There is a problem")


def is_staff(principal: Principal) -> bool:
    return policy.is_staff(principal)


def holds_tasks(principal: Principal) -> bool:
    return policy.holds_tasks(principal)


def reads_reports(principal: Principal) -> bool:
    return policy.may_read_reports(principal) is None


def home_for(principal: Principal) -> str:
    if policy.partner_only(principal):
        return "/console/exchange"
    return "/console" if holds_tasks(principal) else "/console/clearances"


async def signed_in(request: Request, services: ServicesDep) -> Principal:
    """The principal of the console session the cookie names; agency staff only."""
    session_id = request.cookies.get(SESSION_COOKIE)
    principal = await services.console_principal(session_id) if session_id else None
    if principal is None:
        raise SignInRequired
    request.state.officer = principal
    if not is_staff(principal):
        raise NotStaff
    return principal


Officer = Annotated[Principal, Depends(signed_in)]


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    officer: Principal | None = getattr(request.state, "officer", None)
    flash = request.cookies.get(FLASH_COOKIE)
    html = _env.get_template(template).render(
        request=request,
        me=officer,
        flash=unquote(flash) if flash else None,
        nav={
            "tasks": officer is not None and holds_tasks(officer),
            "reports": officer is not None and reads_reports(officer),
            "staff": officer is not None and is_staff(officer),
            "licences": officer is not None and policy.needs_role(officer, policy.LICENCE_ISSUERS) is None,
            "exchange": officer is not None and policy.may_read_exchange(officer) is None,
            "partner_only": officer is not None and policy.partner_only(officer),
        },
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/console")
    return response


def redirect(request: Request, url: str, flash: str | None = None) -> RedirectResponse:
    """POST-redirect-GET; `flash` is shown once by the next page."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        response.set_cookie(
            FLASH_COOKIE,
            quote(flash),
            max_age=120,
            path="/console",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    return response


def parse_form(model: type[BaseModel], data: dict[str, Any]) -> Any:
    """Validate a form as the JSON API validates its body: the first problem becomes the same 422."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ApiError(422, first["msg"].removeprefix("Value error, "), loc=["body", *first["loc"]]) from exc


def _same_origin(request: Request) -> bool:
    """SameSite=Strict keeps the session cookie off cross-site posts; an Origin header is checked as well."""
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host")


class ConsoleRoute(APIRoute):
    """Runs a console page and answers what the API would answer as JSON with a page instead."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            if request.method == "POST" and not _same_origin(request):
                return error_page(request, PageError(403, "this form was sent from another site"))
            try:
                return await handler(request)
            except SignInRequired:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                where = f"{LOGIN}?next={quote(target)}" if request.method == "GET" else LOGIN
                return RedirectResponse(where, status_code=303)
            except NotStaff:
                return render(request, "staff_only.html.j2", status_code=403)
            except ApiError as exc:
                return error_page(request, PageError.of(exc))
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {"loc": [], "msg": "invalid request"}
                return error_page(request, PageError(422, str(first["msg"]), field_path(first["loc"])))

        return page


async def act(
    request: Request,
    send: Callable[[Any], Awaitable[str]],
    *,
    done_url: str,
    show_refusal: Callable[[ApiError, Any], Awaitable[Response]],
) -> Response:
    """Run one action from a posted form. Success: POST-redirect-GET to `done_url` with the flash `send` returns.
    Refusal: the page the form was on, with the refusal and the officer's input (`show_refusal`), or an error page
    when the officer may not even see that page."""
    form = await request.form()
    try:
        flash = await send(form)
    except ApiError as exc:
        try:
            return await show_refusal(exc, form)
        except ApiError:
            return error_page(request, PageError.of(exc))
    return redirect(request, done_url, flash)


def error_page(request: Request, error: PageError) -> HTMLResponse:
    return render(request, "error.html.j2", error=error, status_code=error.status)


def console_router() -> APIRouter:
    return APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
