"""Cross-border exchange with the embedded partner (DEMO-PARTNER-CUSTOMS inside this engine), through the real
HTTP app and worker: a released export notifies the partner of its destination country with exactly the agreed
data set, signed; the partner acknowledges; its control result and its answer to a mutual-assistance request
reach the exporting clearance; a tampered or unsigned message is refused and recorded; the exit is confirmed by
customs or followed up when the follow-up period passes."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import jwt
import pytest
from temporalio.testing import WorkflowEnvironment

from domain.exchange import DATA_SET_FIELDS, load_agreements
from store import sops
from tests.conftest import Stack, _fresh_db, make_stack
from tests.e2e import clearance, completed, lodge, open_tasks, wait_for
from tests.support import example, sop_definition

pytestmark = pytest.mark.e2e

PARTNER = "DEMO-PARTNER-CUSTOMS"


async def messages(stack: Stack, who: str, **params: str) -> list[dict[str, Any]]:
    response = await stack.http.get("/v1/exchange/messages", params=params, headers=stack.auth(who))
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def eventually(probe: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = await probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError("not reached in time")
        await asyncio.sleep(0.1)


def green(**changes: Any) -> dict[str, Any]:
    return example("green-lane", lrn=f"EXC-{uuid.uuid4().hex[:10]}", **changes)


async def released(stack: Stack) -> str:
    mrn = (await lodge(stack, green()))["mrn"]
    view = await wait_for(stack, mrn, completed)
    assert view["outcome"] == "released"
    return mrn


async def notification_at_partner(stack: Stack, mrn: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        found = await messages(stack, "partner_customs_officer", mrn=mrn, kind="export_notification")
        return found[0] if found else None

    return await eventually(probe)


async def test_a_release_notifies_the_partner_with_the_agreed_data_set_signed_and_acknowledged(stack: Stack) -> None:
    mrn = await released(stack)
    received = await notification_at_partner(stack, mrn)
    assert received["direction"] == "in" and received["from"] == "DEMO-CUSTOMS" and received["to"] == PARTNER
    assert received["signature"]["alg"] == "EdDSA" and received["signature"]["verified"] is True
    agreed = load_agreements(stack.settings.reference_dir / "exchange-agreements.yaml")[0].data_set
    assert set(received["payload"]) == set(agreed) <= set(DATA_SET_FIELDS)
    assert received["payload"]["mrn"] == mrn and received["payload"]["country_of_destination"] == "CA"
    text = json.dumps(received["payload"])
    for internal in ("lane", "risk", "declarant", "aeo", "lrn", "reason"):
        assert f'"{internal}' not in text, internal

    async def acknowledged() -> dict[str, Any] | None:
        view = await clearance(stack, mrn)
        sent = [m for m in view["exchange"] if m["kind"] == "export_notification" and m["direction"] == "out"]
        return view if sent and sent[0]["status"] == "acknowledged" else None

    view = await eventually(acknowledged)
    [sent] = [m for m in view["exchange"] if m["kind"] == "export_notification"]
    assert sent["counterpart"] == PARTNER and sent["acknowledged_at"] and sent["id"] == received["id"]
    assert any(m["kind"] == "acknowledgement" and m["direction"] == "in" for m in view["exchange"])
    assert view["status"] == "completed" and view["outcome"] == "released"
    assert view["exit"]["status"] == "awaiting_exit"
    # the key it was signed with is the one the registry publishes for DEMO-CUSTOMS
    agency = (await stack.http.get("/v1/agencies/DEMO-CUSTOMS", headers=stack.auth("partner_customs_officer"))).json()
    assert received["signature"]["key_id"] in [k["key_id"] for k in agency["keys"]]
    # the declarant sees the exit, not the administrations' messages
    own = await clearance(stack, mrn, "declarant")
    assert own["exchange"] == [] and own["exit"]["status"] == "awaiting_exit"


async def test_the_partners_control_result_reaches_the_exporting_clearance(stack: Stack) -> None:
    mrn = await released(stack)
    received = await notification_at_partner(stack, mrn)
    path = f"/v1/exchange/messages/{received['id']}/control-result"
    # customs of the exporting side did not receive it: for them it does not exist
    assert (
        await stack.http.post(path, json={"result": "no_irregularity"}, headers=stack.auth("customs_officer"))
    ).status_code == 404
    assert (
        await stack.http.post(path, json={"result": "maybe"}, headers=stack.auth("partner_customs_officer"))
    ).status_code == 422
    body = {"result": "irregularity", "note": "12 pieces fewer than declared"}
    answered = await stack.http.post(path, json=body, headers=stack.auth("partner_customs_officer"))
    assert answered.status_code == 200, answered.text
    assert answered.json()["kind"] == "control_result" and answered.json()["direction"] == "out"
    again = await stack.http.post(
        path, json={"result": "no_irregularity"}, headers=stack.auth("partner_customs_officer")
    )
    assert again.status_code == 409

    async def arrived() -> dict[str, Any] | None:
        view = await clearance(stack, mrn)
        found = [m for m in view["exchange"] if m["kind"] == "control_result" and m["direction"] == "in"]
        return found[0] if found else None

    result = await eventually(arrived)
    assert result["counterpart"] == PARTNER and result["result"] == "irregularity"
    [at_customs] = await messages(stack, "customs_officer", mrn=mrn, kind="control_result")
    assert at_customs["signature"]["verified"] is True and at_customs["payload"]["note"] == body["note"]
    trail = (await stack.http.get(f"/v1/clearances/{mrn}/audit", headers=stack.auth("auditor"))).json()["events"]
    kinds = [e["kind"] for e in trail]
    assert "exchange_irregularity" in kinds and "exchange_received" in kinds and "exchange_acknowledged" in kinds


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["msg"]["payload"]["goods_items"][0]["quantity"]["value"] = "1"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


async def test_a_tampered_or_unsigned_message_is_refused_and_recorded(stack: Stack) -> None:
    mrn = await released(stack)
    received = await notification_at_partner(stack, mrn)
    async with stack.db.session() as session:
        from store import exchange as exchange_store

        row = await exchange_store.get(session, received["id"], "in")
        assert row is not None and row.jws
        token = row.jws
    jose = {"content-type": "application/jose"}
    refused = await stack.http.post("/exchange/inbound", content=_tampered(token), headers=jose)
    assert refused.status_code == 403 and "signature" in refused.json()["detail"]
    claims = jwt.decode(token, options={"verify_signature": False})
    unsigned = jwt.encode({**claims, "jti": str(uuid.uuid4())}, None, algorithm="none")
    assert (await stack.http.post("/exchange/inbound", content=unsigned, headers=jose)).status_code == 403
    assert (await stack.http.post("/exchange/inbound", content="not a jws", headers=jose)).status_code == 422
    assert (await stack.http.post("/exchange/inbound", json={"jws": token})).status_code == 415
    rejected = [m for m in await messages(stack, "partner_customs_officer", mrn=mrn) if m["status"] == "rejected"]
    assert len(rejected) == 2 and all(m["signature"]["verified"] is False and m["reason"] for m in rejected)
    assert any("alg" in m["reason"] for m in rejected)
    # nothing of the forgery reached the partner's inbox as received
    inbox = await messages(stack, "partner_customs_officer", mrn=mrn, kind="export_notification")
    assert [m["status"] for m in inbox if m["status"] != "rejected"] == ["received"]


def test_the_unverified_read_takes_what_pyjwt_takes_and_refuses_the_rest() -> None:
    """adapters/signing.unverified reads header and claims itself (PyJWT checks base64 in Python, slowly); it must
    read what PyJWT reads and refuse, as not a compact JWS, what PyJWT refuses to decode."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from adapters.signing import SignatureRefused, unverified

    key = Ed25519PrivateKey.generate()
    token = jwt.encode(
        {"iss": "A", "aud": "B", "msg": {"text": "é" * 40}}, key, algorithm="EdDSA", headers={"kid": "k"}
    )
    expected = jwt.api_jws.decode_complete(token, options={"verify_signature": False})
    assert unverified(token) == (expected["header"], json.loads(expected["payload"]))
    unsigned = jwt.encode({"iss": "A"}, None, algorithm="none")
    assert unverified(unsigned)[0]["alg"] == "none"  # read, so that `verify` refuses it by name
    header, payload, signature = token.split(".")
    for bad in (
        "not a jws",
        "a.b",
        f"{header}.{payload}!.{signature}",
        f"{header}.{payload}A.{signature}",
        f"e30.{base64.urlsafe_b64encode(b'[1]').decode().rstrip('=')}.x",
        f"bm90IGpzb24.{payload}.x",
        f"e30.{base64.urlsafe_b64encode(b'[' * 200_000).decode().rstrip('=')}.x",  # nested past the recursion limit
    ):
        with pytest.raises(SignatureRefused):
            unverified(bad)


async def test_a_mutual_assistance_request_is_answered_and_kept_with_the_clearance(stack: Stack) -> None:
    mrn = await released(stack)
    request = {
        "measure": "verify that the consignee received the goods",
        "subject": "possible diversion of hand tools",
        "legal_basis": "Demo customs mutual assistance agreement, Art. 6",
        "persons": [{"name": "Maple Workshop Supplies Inc.", "role": "consignee"}],
        "facts": "the consignee's address was registered a week before the export",
        "deadline": "2030-01-31T00:00:00Z",
    }
    path = f"/v1/clearances/{mrn}/mutual-assistance"
    assert (await stack.http.post(path, json=request, headers=stack.auth("declarant"))).status_code == 403
    assert (
        await stack.http.post(path, json={**request, "deadline": "soon"}, headers=stack.auth("customs_officer"))
    ).status_code == 422
    sent = await stack.http.post(path, json=request, headers=stack.auth("customs_officer"))
    assert sent.status_code == 200, sent.text

    async def at_partner() -> list[dict[str, Any]]:
        return await messages(stack, "partner_customs_officer", mrn=mrn, kind="mutual_assistance_request")

    [inbound] = await eventually(at_partner)
    assert (
        inbound["payload"]["requesting_authority"] == "DEMO-CUSTOMS"
        and inbound["payload"]["measure"] == request["measure"]
    )
    answer = {"answer": "the consignee confirmed receipt on 3 March", "findings": ["delivery note seen"]}
    path = f"/v1/exchange/messages/{inbound['id']}/answer"
    assert (await stack.http.post(path, json=answer, headers=stack.auth("customs_officer"))).status_code == 404
    assert (await stack.http.post(path, json=answer, headers=stack.auth("partner_customs_officer"))).status_code == 200
    assert (await stack.http.post(path, json=answer, headers=stack.auth("partner_customs_officer"))).status_code == 409

    async def answered() -> dict[str, Any] | None:
        view = await clearance(stack, mrn)
        return view if any(m["kind"] == "mutual_assistance_answer" for m in view["exchange"]) else None

    view = await eventually(answered)
    kinds = {(m["direction"], m["kind"]) for m in view["exchange"]}
    assert {("out", "mutual_assistance_request"), ("in", "mutual_assistance_answer")} <= kinds
    [kept] = await messages(stack, "customs_officer", mrn=mrn, kind="mutual_assistance_answer")
    assert kept["payload"]["answer"] == answer["answer"] and kept["signature"]["verified"]


async def test_customs_confirms_the_exit_once(stack: Stack) -> None:
    mrn = await released(stack)
    await notification_at_partner(stack, mrn)
    path = f"/v1/clearances/{mrn}/exit"
    assert (await stack.http.post(path, json={}, headers=stack.auth("declarant"))).status_code == 403
    assert (await stack.http.post(path, json={}, headers=stack.auth("partner_customs_officer"))).status_code == 403
    body = {"office_of_exit": "DE002651", "note": "left on LH0470"}
    done = await stack.http.post(path, json=body, headers=stack.auth("customs_officer"))
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "confirmed" and done.json()["confirmed_by"] == "customs_officer"
    assert (await stack.http.post(path, json=body, headers=stack.auth("customs_officer"))).status_code == 409
    view = await clearance(stack, mrn)
    assert view["exit"]["status"] == "confirmed" and view["exit"]["confirmed_at"]
    assert view["outcome"] == "released" and view["status"] == "completed"


@pytest.fixture(scope="module")
async def quick_follow_up(
    temporal_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    """A stack whose follow-up period is two seconds."""
    db = await _fresh_db(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('exit') / 'clearance.db'}")
    async with db.session() as session:
        await sops.publish(session, sop_definition(1), by="tests")
    async for s in make_stack(
        temporal_env, db, tmp_path_factory.mktemp("exit-data"), sop_name="test-clearance", exit_follow_up_days=2 / 86400
    ):
        yield s
    await db.dispose()


async def test_an_unconfirmed_exit_opens_a_follow_up_task_for_customs(quick_follow_up: Stack) -> None:
    stack = quick_follow_up
    mrn = await released(stack)

    async def follow_up() -> list[dict[str, Any]]:
        return await open_tasks(stack, "customs_officer", mrn, "exit_follow_up")

    [task] = await eventually(follow_up)
    view = await clearance(stack, mrn)
    assert view["exit"]["status"] == "follow_up" and view["exit"]["task_id"] == task["id"]
    completion = {"outcome": "not_exited", "reason": "carrier reports the goods never left"}
    done = await stack.http.post(
        f"/v1/tasks/{task['id']}/complete", json=completion, headers=stack.auth("customs_officer")
    )
    assert done.status_code == 200, done.text

    async def settled() -> dict[str, Any] | None:
        view = await clearance(stack, mrn)
        return view if view["exit"]["status"] == "not_exited" else None

    view = await eventually(settled)
    assert view["outcome"] == "released"
