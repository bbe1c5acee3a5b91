"""415 for a JSON body sent without `Content-Type: application/json`.

Applied to every route, it acts only where the route declares a JSON body (FastAPI's `body_field`); routes that
read the raw body themselves (the screening-list import, SOP publishing) take CSV, YAML or multipart and are left
to decide for themselves. An empty body is left to the route's own 422 ("field required")."""

from __future__ import annotations

from email.message import Message
from functools import lru_cache

from fastapi import Request
from fastapi.routing import APIRoute

from api.errors import ApiError


@lru_cache(maxsize=256)
def is_json(content_type: str) -> bool:
    """Whether a Content-Type value names JSON (`application/json`, `application/*+json`), parameters aside;
    parsed by the email package's header parser, once per distinct value (every JSON request asks)."""
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return (length is not None and length.strip() != "0") or "transfer-encoding" in request.headers


async def require_json_body(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or route.body_field is None or not _has_body(request):
        return
    content_type = request.headers.get("content-type", "")
    if not is_json(content_type):
        got = f"it came as {content_type!r}" if content_type else "no Content-Type was sent"
        raise ApiError(415, f"this call takes a JSON body: send it with 'Content-Type: application/json' ({got})")
