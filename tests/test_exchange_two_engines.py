"""Two engines on loopback, each a real `make run` stack (its own Temporal dev server, worker, API and database):
engine A is DEMO-CUSTOMS (the exporting administration), engine B is DEMO-PARTNER-CUSTOMS (customs of the
destination). Each registry knows the other's endpoint and public key (reference data, as an operator configures
it). Over HTTP, with signatures verified on both sides: A's export notification and B's acknowledgement, B's control
result, A's mutual-assistance request and B's answer; a tampered and an unsigned message are refused and recorded."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import yaml

from adapters.signing import SigningKey
from store import exchange as exchange_store
from store.audit_note import load_or_create_key
from store.db import Database
from tests.support import ROOT, example
from tests.test_faults import EmbeddedStack, _free_port, running_stack

pytestmark = pytest.mark.e2e
A, B = "DEMO-CUSTOMS", "DEMO-PARTNER-CUSTOMS"


def _engine_files(tmp: Path, me: str, other: str, other_base: str, other_key: SigningKey) -> Path:
    """DATA_DIR's key for `me` and a reference dir whose registry knows `other` by endpoint and key."""
    reference = tmp / "reference"
    shutil.copytree(ROOT / "reference", reference)
    registry = yaml.safe_load((reference / "agencies.yaml").read_text())
    for agency in registry["agencies"]:
        if agency["id"] == other:
            agency["endpoint"] = other_base
            agency["keys"] = [other_key.registry_entry().model_dump()]
    (reference / "agencies.yaml").write_text(yaml.safe_dump(registry))
    return reference


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmbeddedStack, EmbeddedStack]]:
    tmp_a, tmp_b = tmp_path_factory.mktemp("engine-a"), tmp_path_factory.mktemp("engine-b")
    key_a = SigningKey(A, load_or_create_key(tmp_a / "data" / "keys" / "log-ed25519.pem"))
    key_b = SigningKey(B, load_or_create_key(tmp_b / "data" / "keys" / "log-ed25519.pem"))
    port_a, port_b = _free_port(), _free_port()
    base_a, base_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    ref_a = _engine_files(tmp_a, A, B, base_b, key_b)
    ref_b = _engine_files(tmp_b, B, A, base_a, key_a)
    with ExitStack() as stacks:
        a = stacks.enter_context(
            running_stack(tmp_a, api_port=port_a, extra_env={"ADMINISTRATION": A, "REFERENCE_DIR": str(ref_a)})
        )
        b = stacks.enter_context(
            running_stack(tmp_b, api_port=port_b, extra_env={"ADMINISTRATION": B, "REFERENCE_DIR": str(ref_b)})
        )
        yield a, b


async def _eventually(probe: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = await probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError("not reached in time")
        await asyncio.sleep(0.25)


async def _messages(http: httpx.AsyncClient, stack: EmbeddedStack, role: str, **params: str) -> list[dict[str, Any]]:
    response = await http.get(f"{stack.base}/v1/exchange/messages", params=params, headers=stack.auth(role))
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def _stored_jws(stack: EmbeddedStack, message_id: str, direction: str) -> str:
    db = Database(f"sqlite+aiosqlite:///{stack.data_dir / 'clearance.db'}")
    try:
        async with db.session() as session:
            row = await exchange_store.get(session, message_id, direction)
            assert row is not None and row.jws
            return row.jws
    finally:
        await db.dispose()


async def test_two_engines_exchange_signed_messages_over_http(engines: tuple[EmbeddedStack, EmbeddedStack]) -> None:
    a, b = engines
    async with httpx.AsyncClient(timeout=30) as http:
        # each publishes its own key, and knows the other's
        a_keys = (await http.get(f"{a.base}/v1/agencies/{A}", headers=a.auth("customs_officer"))).json()["keys"]
        b_knows = (await http.get(f"{b.base}/v1/agencies/{A}", headers=b.auth("partner_customs_officer"))).json()
        assert {k["key_id"] for k in a_keys} & {k["key_id"] for k in b_knows["keys"]}

        body = example("green-lane", lrn=f"TWO-{uuid.uuid4().hex[:8]}")
        lodged = await http.post(f"{a.base}/v1/declarations", json=body, headers=a.auth("declarant"))
        assert lodged.status_code == 202, lodged.text
        mrn = lodged.json()["mrn"]

        async def acknowledged() -> dict[str, Any] | None:
            found = await _messages(http, a, "customs_officer", mrn=mrn, kind="export_notification")
            return found[0] if found and found[0]["status"] == "acknowledged" else None

        sent = await _eventually(acknowledged)
        assert sent["direction"] == "out" and sent["to"] == B and sent["acknowledged_at"]
        [ack] = await _messages(http, a, "customs_officer", mrn=mrn, kind="acknowledgement")
        assert ack["from"] == B and ack["signature"]["verified"] and ack["signature"]["key_id"].startswith(B)
        [received] = await _messages(http, b, "partner_customs_officer", mrn=mrn, kind="export_notification")
        assert received["id"] == sent["id"] and received["status"] == "received"
        assert received["signature"] == {"alg": "EdDSA", "key_id": sent["signature"]["key_id"], "verified": True}
        assert received["payload"]["mrn"] == mrn and "lrn" not in received["payload"]

        # B's control result reaches A's clearance
        result = await http.post(
            f"{b.base}/v1/exchange/messages/{received['id']}/control-result",
            json={"result": "no_irregularity", "note": "seals intact on arrival"},
            headers=b.auth("partner_customs_officer"),
        )
        assert result.status_code == 200, result.text

        async def control_result_at_a() -> dict[str, Any] | None:
            view = (await http.get(f"{a.base}/v1/clearances/{mrn}", headers=a.auth("customs_officer"))).json()
            found = [m for m in view.get("exchange", []) if m["kind"] == "control_result"]
            return found[0] if found else None

        at_a = await _eventually(control_result_at_a)
        assert at_a["direction"] == "in" and at_a["counterpart"] == B and at_a["result"] == "no_irregularity"

        async def result_acknowledged() -> bool:
            found = await _messages(http, b, "partner_customs_officer", mrn=mrn, kind="control_result")
            return bool(found) and found[0]["status"] == "acknowledged"

        await _eventually(result_acknowledged)

        # A asks B for assistance; B answers
        request = {
            "measure": "confirm arrival of the goods",
            "subject": "hand tools, MRN " + mrn,
            "legal_basis": "Demo customs mutual assistance agreement, Art. 6",
            "persons": [{"name": "Maple Workshop Supplies Inc.", "role": "consignee"}],
            "facts": "routine verification of a trusted-trader export",
            "deadline": "2030-06-30T00:00:00Z",
        }
        asked = await http.post(
            f"{a.base}/v1/clearances/{mrn}/mutual-assistance", json=request, headers=a.auth("customs_officer")
        )
        assert asked.status_code == 200, asked.text

        async def request_at_b() -> list[dict[str, Any]]:
            return await _messages(http, b, "partner_customs_officer", mrn=mrn, kind="mutual_assistance_request")

        [inbound] = await _eventually(request_at_b)
        assert inbound["signature"]["verified"] and inbound["payload"]["facts"] == request["facts"]
        answered = await http.post(
            f"{b.base}/v1/exchange/messages/{inbound['id']}/answer",
            json={"answer": "arrived and cleared on import"},
            headers=b.auth("partner_customs_officer"),
        )
        assert answered.status_code == 200, answered.text

        async def answer_at_a() -> list[dict[str, Any]]:
            return await _messages(http, a, "customs_officer", mrn=mrn, kind="mutual_assistance_answer")

        [answer] = await _eventually(answer_at_a)
        assert (
            answer["from"] == B
            and answer["signature"]["verified"]
            and answer["payload"]["answer"].startswith("arrived")
        )

        # a tampered copy of A's notification is refused by B and recorded there
        token = await _stored_jws(b, received["id"], "in")
        header, payload, signature = token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["msg"]["payload"]["consignee"]["name"] = "Someone Else Ltd"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        jose = {"content-type": "application/jose"}
        refused = await http.post(f"{b.base}/exchange/inbound", content=f"{header}.{forged}.{signature}", headers=jose)
        assert refused.status_code == 403, refused.text
        # an unsigned message claiming to be B is refused by A and recorded there
        unsigned = jwt.encode({**claims, "iss": B, "aud": A, "jti": str(uuid.uuid4())}, None, algorithm="none")
        assert (await http.post(f"{a.base}/exchange/inbound", content=unsigned, headers=jose)).status_code == 403
        at_b = [m for m in await _messages(http, b, "partner_customs_officer", mrn=mrn) if m["status"] == "rejected"]
        at_a_rejected = [m for m in await _messages(http, a, "customs_officer", mrn=mrn) if m["status"] == "rejected"]
        assert len(at_b) == 1 and "signature" in at_b[0]["reason"] and not at_b[0]["signature"]["verified"]
        assert len(at_a_rejected) == 1 and "alg" in at_a_rejected[0]["reason"]
