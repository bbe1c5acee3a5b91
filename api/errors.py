"""Error responses: 422 carries `errors: [{loc, msg}]`; every other error carries `detail`.

Update validators in the workflows reject with typed ApplicationErrors; `update_error` turns them into the
HTTP status the contract names. Temporal not answering (down, restarting, too slow) is one 503 with
`Retry-After`, whichever route noticed it; anything else unexpected is a JSON 500 that names no internals."""

from __future__ import annotations

import asyncio
from typing import Any

import fastapi.routing
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.responses import JSONResponse
from domain.clearance import Rejection
from domain.policy import Refusal

log = structlog.get_logger("api")
RETRY_AFTER_SECONDS = 2
# Statuses that mean "the workflow service did not answer", not "it refused": the request may be retried as is.
UNAVAILABLE_STATUSES = frozenset(
    {
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.CANCELLED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
    }
)

STATUS_FOR = {Rejection.not_found: 404, Rejection.forbidden: 403, Rejection.conflict: 409, Rejection.invalid: 422}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        detail: str,
        *,
        loc: list[Any] | None = None,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.loc, self.headers = status, detail, loc, headers
        self.errors = errors  # every {loc, msg} of a 422 with more than one problem


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} not found")


def forbidden(detail: str) -> ApiError:
    return ApiError(403, detail)


def invalid(loc: list[Any], msg: str) -> ApiError:
    return ApiError(422, msg, loc=loc)


def refused(refusal: Refusal) -> ApiError:
    """The policy's refusal (`domain.policy`) as the API answers it; a named field is a field of the body."""
    loc = ["body", *refusal.field] if refusal.field else None
    return ApiError(STATUS_FOR[refusal.kind], refusal.message, loc=loc)


def check(refusal: Refusal | None) -> None:
    """Raise the refusal, if any: how the service layer asks the policy."""
    if refusal is not None:
        raise refused(refusal)


def update_error(exc: WorkflowUpdateFailedError) -> ApiError:
    cause = exc.cause
    if isinstance(cause, ApplicationError) and cause.type:
        try:
            status = STATUS_FOR[Rejection(cause.type)]
        except ValueError:
            status = 409
        # Validators name the refused field as the error's first detail; the body is the fallback.
        field = cause.details[0] if cause.details and isinstance(cause.details[0], list) else []
        if status != 422:
            return ApiError(status, cause.message)
        listed = cause.details[1] if len(cause.details) > 1 and isinstance(cause.details[1], list) else []
        errors = [{"loc": ["body", *e["loc"]], "msg": e["msg"]} for e in listed if isinstance(e, dict)]
        return ApiError(status, cause.message, loc=["body", *field], errors=errors or None)
    return ApiError(409, f"the clearance refused the action: {exc.cause or exc}")


def temporal_unreachable(exc: BaseException) -> bool:
    """True for the ways the Temporal client says the service is down or slow: an RPC error with a transport
    status, the core client's failed (lazy) connect, or a timeout."""
    if isinstance(exc, RPCError):
        return exc.status in UNAVAILABLE_STATUSES
    if isinstance(exc, WorkflowUpdateRPCTimeoutOrCancelledError | TimeoutError | asyncio.TimeoutError):
        return True
    return isinstance(exc, RuntimeError) and str(exc).startswith("Failed client connect")


def unavailable(detail: str = "the clearance engine is not reachable; nothing was recorded, retry shortly") -> ApiError:
    return ApiError(503, detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def service_unavailable_response(detail: str) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": detail}, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _clean_loc(loc: Any) -> list[Any]:
    return [part for part in loc if not (isinstance(part, str) and part.startswith("function-"))]


def _error_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"detail": "request validation failed", "errors": errors}


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": _clean_loc(e["loc"]), "msg": e["msg"].removeprefix("Value error, ")} for e in exc.errors()]
        return JSONResponse(status_code=422, content=_error_body(errors))

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        if exc.status == 422:
            content = _error_body(exc.errors or [{"loc": exc.loc or [], "msg": exc.detail}])
        else:
            content = {"detail": exc.detail}
        headers = exc.headers
        if exc.status == 503 and not (headers and "Retry-After" in headers):
            headers = {**(headers or {}), "Retry-After": str(RETRY_AFTER_SECONDS)}  # every 503 says when to retry
        return JSONResponse(status_code=exc.status, content=content, headers=headers)

    @app.exception_handler(RPCError)
    @app.exception_handler(RuntimeError)
    @app.exception_handler(TimeoutError)
    @app.exception_handler(WorkflowUpdateRPCTimeoutOrCancelledError)
    async def _temporal(request: Request, exc: Exception) -> JSONResponse:
        if temporal_unreachable(exc):
            log.warning("temporal_unreachable", error=type(exc).__name__, message=str(exc)[:200])
            error = unavailable()
            return JSONResponse(status_code=503, content={"detail": error.detail}, headers=error.headers)
        return await _unexpected(request, exc)

    # The last resort (Starlette's ServerErrorMiddleware calls it): JSON, logged, no internals in the body.
    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled_exception", path=request.url.path, exc_info=exc)
        return JSONResponse(status_code=500, content={"detail": "internal error; it has been logged"})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = getattr(exc, "headers", None)
        if exc.status_code == 400:  # a body that cannot be parsed (not UTF-8, a broken form): the body is invalid
            return JSONResponse(status_code=422, content=_error_body([{"loc": ["body"], "msg": str(exc.detail)}]))
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return JSONResponse(status_code=exc.status_code, content={"detail": exc.detail}, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at this path (Starlette's 405 names only the first route that matched it)."""
    # FastAPI >= 0.16x keeps included routers nested; `iter_route_contexts` flattens them (older ones are flat).
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = flatten(request.app.routes) if flatten else request.app.routes
    methods: set[str] = set()
    for route in routes:
        path, route_methods = getattr(route, "path", None), getattr(route, "methods", None)
        if path and route_methods and compile_path(path)[0].match(request.url.path):
            methods |= set(route_methods)
    return sorted(methods)
