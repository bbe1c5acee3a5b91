"""An agency's webhook endpoint for tests: a real HTTP server on loopback that records what it receives."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


class Receiver:
    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/agency/clearance-events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, mrn: str) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.requests if json.loads(body)["mrn"] == mrn]

    def outcome(self, mrn: str) -> tuple[dict[str, str], bytes] | None:
        """The signed `clearance.outcome` delivery of a clearance, headers and raw body, once it arrived."""
        return next(
            (
                (h, b)
                for h, b in self.requests
                if json.loads(b)["mrn"] == mrn and h["x-clearance-event"] == "clearance.outcome"
            ),
            None,
        )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
