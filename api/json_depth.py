"""JSON bodies nested deeper than any request of this API needs are refused with 422 before anything parses them.

Python's JSON decoder recurses once per level: a body nested 50,000 deep exhausts the stack, and one nested a
few hundred deep still parses but overflows later (pydantic, the Temporal payload converter). Pure ASGI, because
FastAPI parses the body before any dependency runs. Mounted inside the body size limit, so the size is bounded
before the body is buffered here."""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.content_type import is_json

MAX_JSON_DEPTH = 64
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether brackets outside strings nest deeper than `limit` (malformed JSON is left to the parser)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub(b"", body)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


class JsonDepthLimit:
    def __init__(self, app: ASGIApp, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.app, self.max_depth = app, max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"").decode("latin-1")
        if scope["type"] != "http" or not content_type or not is_json(content_type):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if json_depth_exceeds(body, self.max_depth):
            await _refuse(send, f"the JSON body is nested deeper than {self.max_depth} levels")
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    async def replayed() -> Message:
        return messages.pop(0) if messages else await receive()

    return replayed


async def _refuse(send: Send, msg: str) -> None:
    payload = json.dumps({"detail": "request validation failed", "errors": [{"loc": ["body"], "msg": msg}]}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": 422, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
