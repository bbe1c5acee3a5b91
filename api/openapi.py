"""The OpenAPI document as the API answers: error bodies as sent, every status a route can answer, bearer auth,
and the constraints the server checks that FastAPI cannot see in the route signatures.

`install(app)` replaces `app.openapi` with a generator that post-processes FastAPI's document in one place, so
route modules need no decorator edits: statuses come from `ROUTE_STATUSES` (a test refuses a `/v1` operation
without an entry) plus what every operation of a kind can answer (401 and bearer auth on `/v1`, 413 with a body
and 415 with a JSON body, 422 with parameters or a body, 503 everywhere: Temporal unreachable, or the API
shutting down). It reads the document FastAPI generated, not FastAPI's route objects."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from api.errors import RETRY_AFTER_SECONDS
from domain.mrn import MRN_PATTERN, make_mrn

BEARER = "bearer"
METHODS = ("get", "put", "post", "delete", "patch")


class ErrorBody(BaseModel):
    """Every error but 422."""

    detail: str = Field(description="what went wrong, in words; never internals")


class FieldError(BaseModel):
    loc: list[str | int] = Field(description='where: `["body", "goods_items", 0, "quantity"]`, `["query", "limit"]`')
    msg: str


class ValidationErrorBody(BaseModel):
    """422: every problem of the request at once, each with its path."""

    detail: str
    errors: list[FieldError] = Field(min_length=1)


ERROR = {"$ref": "#/components/schemas/ErrorBody"}
VALIDATION = {"$ref": "#/components/schemas/ValidationErrorBody"}
RETRY_AFTER = {
    "Retry-After": {
        "description": f"seconds to wait before retrying the same request (usually {RETRY_AFTER_SECONDS})",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}
STATUS_TEXT = {
    400: "refused as the call's protocol says (tlog-witness: an old size above the checkpoint's)",
    401: "no bearer token, or an unknown or revoked one",
    403: "the caller's roles, agency or ownership do not allow this (or a four-eyes rule)",
    404: "no such resource visible to the caller",
    409: "conflicts with the resource's state (a repeat, already claimed or finished, an existing reference)",
    413: "the request body is larger than the limit (`MAX_BODY_BYTES`; list imports `MAX_LIST_IMPORT_BYTES`)",
    415: "a body sent with a media type this call does not take (JSON bodies need `Content-Type: application/json`)",
    422: "invalid input; `errors` names every problem with its path; nothing was changed",
    503: "the clearance engine (Temporal) did not answer, or the API is shutting down: the action may or may not "
    "have been recorded; retrying the same request is safe",
}

# Statuses beyond the ones every route of its kind answers (see `_statuses`), per route. Adding a /v1 route
# means adding it here (tests/test_openapi.py refuses a route without an entry).
ROUTE_STATUSES: dict[tuple[str, str], tuple[int, ...]] = {
    ("POST", "/v1/declarations"): (200, 403, 409),
    ("GET", "/v1/agencies"): (),
    ("GET", "/v1/agencies/{agency_id}"): (404,),
    ("GET", "/v1/clearances"): (403,),
    ("GET", "/v1/clearances/{mrn}"): (403, 404),
    ("POST", "/v1/clearances/{mrn}/invalidation"): (403, 404, 409),
    ("POST", "/v1/clearances/{mrn}/lane"): (403, 404, 409),
    ("POST", "/v1/clearances/{mrn}/hold"): (403, 404, 409),
    ("POST", "/v1/clearances/{mrn}/hold/release"): (403, 404, 409),
    ("PUT", "/v1/clearances/{mrn}/inspection/schedule"): (403, 404, 409),
    ("GET", "/v1/clearances/{mrn}/audit"): (403, 404),
    ("POST", "/v1/clearances/{mrn}/mutual-assistance"): (403, 404, 409),
    ("POST", "/v1/clearances/{mrn}/exit"): (403, 404, 409),
    ("GET", "/v1/exchange/messages"): (403,),
    ("POST", "/v1/exchange/messages/{message_id}/control-result"): (403, 404, 409),
    ("POST", "/v1/exchange/messages/{message_id}/answer"): (403, 404, 409),
    ("GET", "/v1/clearances/{mrn}/documents/{kind}"): (403, 404),
    ("GET", "/v1/tasks"): (403,),
    ("GET", "/v1/tasks/{task_id}"): (403, 404),
    ("POST", "/v1/tasks/{task_id}/claim"): (403, 404, 409),
    ("POST", "/v1/tasks/{task_id}/complete"): (403, 404, 409),
    ("POST", "/v1/tasks/{task_id}/unclaim"): (403, 404, 409),
    ("POST", "/v1/tasks/{task_id}/reassign"): (403, 404, 409),
    ("POST", "/v1/tasks/{task_id}/delegate"): (403, 404, 409),
    ("POST", "/v1/tasks/{task_id}/comments"): (403, 404, 409),
    ("POST", "/v1/licences"): (403, 409),
    ("GET", "/v1/licences/{reference}"): (403, 404),
    ("PATCH", "/v1/licences/{reference}"): (403, 404, 409),
    ("POST", "/v1/licences/{reference}/suspension"): (403, 404, 409),
    ("POST", "/v1/licences/{reference}/reinstatement"): (403, 404, 409),
    ("POST", "/v1/licences/{reference}/revocation"): (403, 404, 409),
    ("GET", "/v1/licences/{reference}/ledger"): (403, 404),
    ("POST", "/v1/licence-depletions"): (403, 404, 409),
    ("POST", "/v1/licence-depletions/restorations"): (403, 404),
    ("POST", "/v1/representations"): (403,),
    ("GET", "/v1/representations"): (403,),
    ("DELETE", "/v1/representations/{representation_id}"): (403, 404, 409),
    ("POST", "/v1/screening-lists/{list_name}/import"): (403, 409, 413, 415),
    ("GET", "/v1/screening-lists"): (403,),
    ("POST", "/v1/screening/check"): (403,),
    ("POST", "/v1/screening/false-positives"): (403,),
    ("GET", "/v1/screening/false-positives"): (403,),
    ("GET", "/v1/screening/false-positives/{fp_id}"): (403, 404),
    ("DELETE", "/v1/screening/false-positives/{fp_id}"): (403, 404, 409),
    ("GET", "/v1/sops"): (),
    ("POST", "/v1/sops"): (200, 403, 409, 413),
    ("GET", "/v1/sops/{name}/versions/{version}"): (404,),
    ("GET", "/v1/sops/{name}/versions/{version}/document"): (404,),
    ("GET", "/v1/reports/stage-times"): (403,),
    ("POST", "/v1/webhooks"): (403, 409),
    ("GET", "/v1/webhooks"): (403,),
    ("DELETE", "/v1/webhooks/{subscription_id}"): (404,),
    ("GET", "/v1/webhooks/{subscription_id}/deliveries"): (404,),
    ("GET", "/v1/audit/checkpoint"): (404,),
    ("GET", "/v1/audit/proof"): (403, 404),
    ("GET", "/v1/audit/consistency"): (),
    ("POST", "/v1/audit/witness/add-checkpoint"): (400, 403, 404, 409),
    ("GET", "/v1/audit/witness/logs"): (403,),
    ("POST", "/codec/decode"): (401, 403),
    ("POST", "/codec/encode"): (401, 403),
    ("GET", "/v1/tokens"): (403,),
    ("POST", "/v1/tokens"): (403,),
    ("DELETE", "/v1/tokens/{token_id}"): (403, 404, 409),
}

# Parameters whose format the server checks in the route body (so FastAPI does not know it).
MRN_SCHEMA = {
    "type": "string",
    "pattern": MRN_PATTERN.pattern,
    "minLength": 18,
    "maxLength": 18,
    "description": "Movement Reference Number: 2-digit year, ISO 3166-1 alpha-2 country of the office of export, "
    "13 letters or digits, and a check digit computed over the first 17 characters as in ISO 6346 (letters "
    "A=10 upwards skipping multiples of 11, each value times 2^position, sum mod 11 mod 10); an MRN whose check "
    "digit does not match is refused with 422",
    "examples": [make_mrn(year=2026, country="DE", key="0000000000000")],
}
CURSOR_SCHEMA = {
    "type": "string",
    "pattern": "^[A-Za-z0-9_-]{0,200}$",
    "description": "opaque: the `next_cursor` of the previous page (base64url without padding), empty or absent "
    "for the first page; any other "
    "value is refused with 422",
}
LIST_NAME_SCHEMA = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,62}$", "description": "e.g. `csl`"}
# (where, name): path parameters named `mrn` everywhere (`GET /v1/tasks?mrn=` only filters, it checks nothing)
PARAMETER_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("path", "mrn"): MRN_SCHEMA,
    ("query", "cursor"): CURSOR_SCHEMA,
    ("path", "list_name"): LIST_NAME_SCHEMA,
}
# Bodies that are not JSON.
MEDIA_TYPES: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {
    ("GET", "/metrics"): ("text/plain", {"type": "string", "description": "Prometheus text exposition format"}),
}
READINESS = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "status": {"type": "string", "enum": ["ready", "not ready"]},
        "database": {"type": "string"},
        "temporal": {"type": "string"},
        "worker": {"type": "string"},
        "detail": {"type": "string"},
    },
}


def _error_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": STATUS_TEXT[status],
        "content": {"application/json": {"schema": VALIDATION if status == 422 else ERROR}},
    }
    if status == 503:
        response["headers"] = copy.deepcopy(RETRY_AFTER)
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string", "enum": ["Bearer"]}}}
    return response


def takes_json_only(operation: dict[str, Any]) -> bool:
    """A body FastAPI declared from a model: refused with 415 unless sent as JSON (api/content_type.py)."""
    return list(operation.get("requestBody", {}).get("content", {})) == ["application/json"]


def statuses(method: str, path: str, operation: dict[str, Any]) -> set[int]:
    """Every status the operation can answer: its own (`ROUTE_STATUSES`) and those of its kind."""
    found = {503, *ROUTE_STATUSES.get((method.upper(), path), ())}
    if operation.get("security"):
        found.add(401)
    if operation.get("parameters") or "requestBody" in operation:
        found.add(422)
    if "requestBody" in operation:
        found.add(413)
        if takes_json_only(operation):
            found.add(415)
    return found


def _fix_parameters(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        schema = PARAMETER_SCHEMAS.get((parameter["in"], parameter["name"]))
        if schema is None:
            continue
        merged = {**parameter.get("schema", {}), **copy.deepcopy(schema)}
        merged.pop("anyOf", None)  # an optional query parameter: absent, or of this form
        parameter["description"] = merged.pop("description")
        parameter["schema"] = merged


def authenticated(path: str, operation: dict[str, Any]) -> bool:
    """Every /v1 call, and any other that reads the bearer token (`Authorization` header parameter)."""
    header = ("header", "authorization")
    return path.startswith("/v1/") or any(
        (p["in"], p["name"].lower()) == header for p in operation.get("parameters", [])
    )


def _fix_operation(method: str, path: str, operation: dict[str, Any]) -> None:
    if authenticated(path, operation):
        operation["security"] = [{BEARER: []}]
        # the bearer token is the security scheme, not a parameter of each operation
        params = [
            p for p in operation.get("parameters", []) if (p["in"], p["name"].lower()) != ("header", "authorization")
        ]
        if params:
            operation["parameters"] = params
        else:
            operation.pop("parameters", None)
    _fix_parameters(operation)
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if not operation.get("parameters") and "requestBody" not in operation:
        responses.pop("422", None)  # FastAPI's for the authorization header, which cannot be invalid
    success = next((r for code, r in responses.items() if code.startswith("2") and "content" in r), None)
    declared = {int(code) for code in responses if code.isdigit() and int(code) >= 400}
    for status in sorted(statuses(method, path, operation) | declared):
        documented = responses.get(str(status), {})
        if status < 400:
            responses[str(status)] = {"description": "Successful Response", **documented}
            if success is not None and "content" not in documented:
                responses[str(status)]["content"] = copy.deepcopy(success["content"])
            continue
        responses[str(status)] = {
            **_error_response(status),
            "description": documented.get("description") or STATUS_TEXT[status],
        }
    media = MEDIA_TYPES.get((method.upper(), path))
    if media is not None:
        for code, response in responses.items():
            if code.startswith("2"):
                response["content"] = {media[0]: {"schema": media[1]}}
    if path == "/readyz":
        responses["200"]["content"] = {"application/json": {"schema": READINESS}}
        responses["503"] = {
            "description": "a check failed (the body says which), or the API is shutting down",
            "content": {"application/json": {"schema": {"anyOf": [READINESS, ERROR]}}},
        }


def build_openapi(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes, tags=app.openapi_tags
    )
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for model in (ErrorBody, FieldError, ValidationErrorBody):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schema.pop("$defs", None)
        schemas[model.__name__] = schema
    components["securitySchemes"] = {
        BEARER: {"type": "http", "scheme": "bearer", "description": "a principal's token (`.data/demo-tokens.json`)"}
    }
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                _fix_operation(method, path, operation)
    return document


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
