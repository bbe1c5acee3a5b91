"""Request body size limits, as a pure ASGI middleware: a byte counter over `receive`.

It refuses a body that declares too large a Content-Length before reading it, and counts the bytes of every body
(chunked uploads carry no Content-Length; multipart or JSON alike) as the application reads them, so it also
works for routes that stream their body. The first byte over the limit answers 413 (JSON) at once, whatever the
application was doing with the body; the application then sees the client gone and nothing it sends afterwards
reaches the client. List imports (`POST /v1/screening-lists/{list}/import`) have their own, larger limit.
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LIST_IMPORT = re.compile(r"^/v1/screening-lists/[^/]+/import/?$")


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, max_list_import_bytes: int | None = None) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.max_list_import_bytes = max_list_import_bytes or max_bytes

    def limit_for(self, method: str, path: str) -> int:
        if method == "POST" and LIST_IMPORT.match(path):
            return self.max_list_import_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _reject(send, limit)
            return
        received = 0
        started = rejected = False

        async def counting_receive() -> Message:
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    rejected = True
                    if not started:
                        await _reject(send, limit)
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if rejected:
                return  # the 413 has been answered; whatever the application makes of the broken body stays here
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:
            pass
        except Exception:
            if not rejected:
                raise


async def _reject(send: Send, limit: int) -> None:
    payload = json.dumps({"detail": f"request body larger than {limit} bytes"}).encode()
    # No `Connection: close`: uvicorn then goes on reading (and discarding) the rest of the upload until its
    # keep-alive timeout, so the client finishes sending and reads the 413 instead of a connection reset.
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
