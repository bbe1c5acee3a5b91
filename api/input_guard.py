"""Input no route can take is refused before any route sees it.

- JSON bodies nested deeper than any request of this API needs (422 at `["body"]`): Python's JSON decoder
  recurses once per level, so a body nested 50,000 deep exhausts the stack, and one nested a few hundred deep
  still parses but overflows later (pydantic, the Temporal payload converter).
- NUL characters, in the path (404), the query (422 at `["query"]`) or a JSON body (422 at `["body"]`):
  PostgreSQL's text columns cannot hold them, so any lookup or write with one would fail as a server error.

Pure ASGI, because FastAPI parses the body before any dependency runs. Mounted inside the body size limit, so the
size is bounded before the body is buffered here."""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.content_type import is_json

MAX_JSON_DEPTH = 64
# Bodies parsed as a stream by their route, with its own depth bound (screening/json_stream.py): never buffered here.
_STREAMED = re.compile(r"/v1/screening-lists/[^/]+/import")
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")  # \u0000 not preceded by an escaped backslash


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


class InputGuard:
    def __init__(self, app: ASGIApp, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.app, self.max_depth = app, max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", ""):
            await _respond(send, 404, {"detail": "not found"})
            return
        query = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            await _refuse(send, ["query"], "NUL characters are not accepted")
            return
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"").decode("latin-1")
        if not content_type or not is_json(content_type) or _STREAMED.fullmatch(scope.get("path", "")):
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
            await _refuse(send, ["body"], f"the JSON body is nested deeper than {self.max_depth} levels")
            return
        if b"\\u0000" in body and _NUL_ESCAPE.search(body):
            await _refuse(send, ["body"], "NUL characters (\\u0000) are not accepted")
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    async def replayed() -> Message:
        return messages.pop(0) if messages else await receive()

    return replayed


async def _refuse(send: Send, loc: list[str], msg: str) -> None:
    await _respond(send, 422, {"detail": "request validation failed", "errors": [{"loc": loc, "msg": msg}]})


async def _respond(send: Send, status: int, content: dict[str, object]) -> None:
    payload = json.dumps(content).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
