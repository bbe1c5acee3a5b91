"""Error responses: 422 carries `errors: [{loc, msg}]`; every other error carries `detail`.

Update validators in the workflows reject with typed ApplicationErrors; `update_error` turns them into the
HTTP status the contract names."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from domain.clearance import Rejection

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
        return JSONResponse(status_code=exc.status, content=content, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code, content={"detail": exc.detail}, headers=getattr(exc, "headers", None)
        )
