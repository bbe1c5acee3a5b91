"""Request body size limit (pure ASGI, so it also bounds chunked uploads that carry no Content-Length)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """`max_bytes` for every request body, except paths matching one of `per_path` (pattern, limit), first match."""

    def __init__(self, app: ASGIApp, max_bytes: int, per_path: Sequence[tuple[str, int]] = ()) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.per_path = [(re.compile(pattern), limit) for pattern, limit in per_path]

    def limit_for(self, path: str) -> int:
        return next((limit for pattern, limit in self.per_path if pattern.fullmatch(path)), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope.get("path", ""))
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await self._reject(send, max_bytes)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except Exception:
            # BodyTooLarge, or whatever a middleware wrapped it in (an ExceptionGroup from a task group)
            if received <= max_bytes:
                raise
            if not started:
                await self._reject(send, max_bytes)

    async def _reject(self, send: Send, max_bytes: int) -> None:
        body: dict[str, Any] = {"detail": f"request body larger than {max_bytes} bytes"}
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})
