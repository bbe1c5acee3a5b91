"""An agency's webhook endpoint for tests: a real HTTP server on loopback that records what it receives and
checks each delivery as the README tells receivers to (signature over timestamp, delivery id and body; a
timestamp within 5 minutes; a delivery id seen before is a replay)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

TOLERANCE_SECONDS = 300


def verify(secret: str, headers: dict[str, str], body: bytes, *, now: float | None = None) -> str | None:
    """Why a delivery is not authentic (None if it is), written from the README, not from the sender's code."""
    try:
        fields = dict(part.split("=", 1) for part in headers["x-clearance-signature"].split(","))
        timestamp, delivery = int(fields["t"]), headers["x-clearance-delivery"]
    except (KeyError, ValueError):
        return "malformed signature header"
    if headers.get("x-clearance-timestamp") != fields["t"]:
        return "timestamp header differs from the signed one"
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE_SECONDS:
        return "stale timestamp"
    expected = hmac.new(secret.encode(), f"{timestamp}.{delivery}.".encode() + body, hashlib.sha256).hexdigest()
    return None if hmac.compare_digest(fields.get("v1", ""), expected) else "signature mismatch"


class Receiver:
    def __init__(self, *, answer: int = 204, location: str | None = None) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.replays: list[str] = []  # delivery ids received more than once (acknowledged, not processed again)
        received, replays, seen = self.requests, self.replays, set[str]()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                delivery = headers.get("x-clearance-delivery", "")
                if delivery in seen:
                    replays.append(delivery)
                else:
                    seen.add(delivery)
                    received.append((headers, body))
                self.send_response(answer)
                if location:
                    self.send_header("Location", location)
                if answer != 204:
                    self.send_header("Content-Length", "0")
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
