"""Encrypted history on the real dev server: the raw history and the workflow's description, read from the server
without the codec, hold no declaration text; a key rotated in mid-clearance leaves it running and replaying; the
codec endpoint decrypts for the administration's officers only."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import (
    DescribeWorkflowExecutionRequest,
    GetWorkflowExecutionHistoryRequest,
)
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from api.console.web import SESSION_COOKIE
from stack import crypto
from stack.codec import ENCODING, KEY_ID, converter_for
from stack.crypto import Keyring
from store import principals, sops
from tests.conftest import Stack, _fresh_db, make_stack
from tests.e2e import awaiting, completed, finish_task, lodge, open_tasks, wait_for
from tests.support import example, sop_definition
from worker import WORKFLOWS, workflow_runner

pytestmark = pytest.mark.e2e

COMMENT = "broker Quillfeather says the end user is Oberkassel Optronics"
FINDINGS_NOTE = "crate 7 stencilled Vantablack Lenses, seals DE-4471 intact"
REROUTE_REASON = "tip-off: Pemberton Holdings ships via this consignee"
APPROVAL_REASON = "Zaltrinex statement received and checked"
CORE_MARKER_DETAILS = {("core_local_activity", "data")}


def _walk(message: Message) -> Iterator[tuple[str, Payload]]:
    """Every Payload inside a proto message, with the name of the field that holds it."""
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            items = list(value.values())
        elif field.is_repeated:
            items = list(value)
        else:
            items = [value]
        for item in items:
            if isinstance(item, Payload):
                yield field.name, item
            elif isinstance(item, Message):
                for name, payload in _walk(item):
                    yield f"{field.name}.{name}", payload


async def raw_history(client: Client, workflow_id: str) -> list[HistoryEvent]:
    """The history as the server stores it: the gRPC service directly, no data converter in between."""
    events: list[HistoryEvent] = []
    token = b""
    while True:
        page = await client.workflow_service.get_workflow_execution_history(
            GetWorkflowExecutionHistoryRequest(
                namespace=client.namespace, execution={"workflow_id": workflow_id}, next_page_token=token
            )
        )
        events.extend(page.history.events)
        token = page.next_page_token
        if not token:
            return events


def _plain_texts(body: dict[str, Any]) -> list[str]:
    """The declaration's personal and business text that must never rest in Temporal in the clear."""
    parties = [body["declarant"], body["exporter"], body["consignee"]]
    return [
        body["lrn"],
        *(p["eori"] for p in parties if "eori" in p),
        *(p["name"] for p in parties),
        body["exporter"]["address"]["street"],
        body["goods_items"][0]["description"],
        COMMENT,
        FINDINGS_NOTE,
        REROUTE_REASON,
        APPROVAL_REASON,
    ]


async def test_history_memo_and_search_attributes_hold_no_declaration_text(stack: Stack) -> None:
    body = example("green-lane", country_of_destination="CN")  # yellow: awaits a supervisor's approval
    body["consignee"]["address"]["country"] = "CN"
    mrn = (await lodge(stack, body))["mrn"]
    await wait_for(stack, mrn, awaiting("approval"))
    [approval] = await open_tasks(stack, "supervisor", mrn, "approval")
    commented = await stack.http.post(
        f"/v1/tasks/{approval['id']}/comments", json={"text": COMMENT}, headers=stack.auth("supervisor")
    )
    assert commented.status_code == 200, commented.text
    moved = await stack.http.post(
        f"/v1/clearances/{mrn}/lane", json={"lane": "red", "reason": REROUTE_REASON}, headers=stack.auth("supervisor")
    )
    assert moved.status_code == 200, moved.text
    await wait_for(stack, mrn, awaiting("inspection_findings"))
    for who in ("inspector", "export_control_officer"):
        [task] = await open_tasks(stack, who, mrn, "inspection_findings")
        findings = {"seals_checked": True, "seal_numbers": ["DE-4471"], "note": FINDINGS_NOTE}
        await finish_task(stack, who, task["id"], "compliant", FINDINGS_NOTE, findings)
    await wait_for(stack, mrn, awaiting("approval"))
    [second] = await open_tasks(stack, "supervisor", mrn, "approval")
    await finish_task(stack, "supervisor", second["id"], "approve", APPROVAL_REASON)
    view = await wait_for(stack, mrn, completed)
    assert view["outcome"] == "released" and view["lane"] == "red"
    # The API still reads everything through the codec: the view has the declaration in full.
    assert view["lrn"] == body["lrn"] and view["declaration"]["consignee"]["name"] == body["consignee"]["name"]

    secrets = [s.encode() for s in _plain_texts(body)]
    workflow_ids = [view["workflow_id"], f"{view['workflow_id']}-joint_inspection"]
    sealed = 0
    for workflow_id in workflow_ids:
        events = await raw_history(stack.client, workflow_id)
        assert len(events) > 5, workflow_id
        raw = b"".join(e.SerializeToString() for e in events)
        description = await stack.client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(namespace=stack.client.namespace, execution={"workflow_id": workflow_id})
        )
        raw += description.SerializeToString()
        found = [s.decode() for s in secrets if s in raw]
        assert not found, f"{workflow_id}: plain text in Temporal: {found}"
        ring = stack.client.data_converter.payload_codec.keyring  # type: ignore[union-attr]
        for event in events:
            for where, payload in _walk(event):
                if "search_attributes" in where:  # indexed by the server: plain, and checked above
                    continue
                if where.startswith("marker_recorded_event_attributes.details"):
                    continue  # the SDK core's own bookkeeping (patch ids; local activity seq, type, times): below
                assert payload.metadata["encoding"] == ENCODING, (workflow_id, event.event_type, where)
                assert payload.metadata[KEY_ID] == ring.current_id.encode()
                sealed += 1
            marker = event.marker_recorded_event_attributes
            for key, details in marker.details.items():
                for payload in details.payloads:
                    # the core's own: a local activity's seq, type and times ("data"; its "result" is ours), patch ids
                    core_own = (marker.marker_name, key) in CORE_MARKER_DETAILS or marker.marker_name == "core_patch"
                    assert payload.metadata["encoding"] == (b"json/plain" if core_own else ENCODING), key
                    sealed += not core_own  # a local activity's result is ours, and sealed
            if event.HasField("workflow_task_failed_event_attributes"):
                assert event.workflow_task_failed_event_attributes.failure.message == "Encoded failure"
        # Search needs only these, and they say nothing about the declarant or the goods.
        indexed = set(description.workflow_execution_info.search_attributes.indexed_fields)
        assert indexed <= {"Mrn", "ClearanceStatus", "ClearanceLane", "SopVersion", "BuildIds", "TemporalChangeVersion"}
        memo = description.workflow_execution_info.memo.fields
        assert all(p.metadata["encoding"] == ENCODING for p in memo.values())
    assert sealed > 20


# --- key rotation --------------------------------------------------------------------------------------------


@pytest.fixture
async def rotating(
    temporal_env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Stack, Path]]:
    """A stack whose API and worker share a keyring file, as `make run`'s processes do; they look at the file
    on every payload here (in production within RELOAD_CHECK_SECONDS)."""
    monkeypatch.setattr(crypto, "RELOAD_CHECK_SECONDS", 0.0)
    keys = tmp_path / "keys" / "payload-keys.json"
    ring = Keyring.from_file(keys)
    client = Client(
        temporal_env.client.service_client, namespace=temporal_env.client.namespace, data_converter=converter_for(ring)
    )
    db = await _fresh_db(f"sqlite+aiosqlite:///{tmp_path / 'clearance.db'}")
    async with db.session() as session:
        await sops.publish(session, sop_definition(1), by="tests")
    async for s in make_stack(temporal_env, db, tmp_path, sop_name="test-clearance", client=client):
        yield s, keys
    await db.dispose()


def _key_ids(events: list[HistoryEvent]) -> set[str]:
    return {
        p.metadata[KEY_ID].decode()
        for e in events
        for where, p in _walk(e)
        if "search_attributes" not in where and KEY_ID in p.metadata
    }


async def test_a_key_rotated_mid_clearance_leaves_it_running_and_replaying(rotating: tuple[Stack, Path]) -> None:
    stack, keys = rotating
    first = Keyring.from_file(keys).current_id
    body = example("green-lane", country_of_destination="CN")
    body["consignee"]["address"]["country"] = "CN"
    mrn = (await lodge(stack, body))["mrn"]
    await wait_for(stack, mrn, awaiting("approval"))

    second = crypto.rotate(keys)  # as `clearance keys rotate-payload-key` does, from another process
    assert second != first
    [task] = await open_tasks(stack, "supervisor", mrn, "approval")
    await finish_task(stack, "supervisor", task["id"], "approve", "documents consistent")
    view = await wait_for(stack, mrn, completed)
    assert view["outcome"] == "released"

    history = await stack.client.get_workflow_handle(view["workflow_id"]).fetch_history()
    assert _key_ids(list(history.events)) == {first, second}  # both keys sealed parts of this one history
    ring = Keyring.from_file(keys, create=False)
    replayed = await Replayer(
        workflows=list(WORKFLOWS), data_converter=converter_for(ring), workflow_runner=workflow_runner(strict=True)
    ).replay_workflow(history, raise_on_replay_failure=False)
    assert replayed.replay_failure is None, replayed.replay_failure

    # Without the first key the history cannot be read: the ring must keep every key that sealed a live history.
    only_second = Keyring({second: ring.keys[second]})
    with pytest.raises(Exception, match=first):
        result = await Replayer(
            workflows=list(WORKFLOWS), data_converter=converter_for(only_second), workflow_runner=workflow_runner()
        ).replay_workflow(history, raise_on_replay_failure=False)
        raise AssertionError(f"replayed without key {first}: {result.replay_failure}")


# --- the codec endpoint --------------------------------------------------------------------------------------


def _wire(payload: Payload) -> dict[str, Any]:
    return {
        "metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
        "data": base64.b64encode(payload.data).decode(),
    }


async def test_codec_endpoint_decrypts_for_the_agencys_officers_only(stack: Stack) -> None:
    body = example("green-lane")
    mrn = (await lodge(stack, body))["mrn"]
    view = await wait_for(stack, mrn, completed)
    events = await raw_history(stack.client, view["workflow_id"])
    started = events[0].workflow_execution_started_event_attributes.input.payloads[0]
    assert started.metadata["encoding"] == ENCODING and body["lrn"].encode() not in started.data
    request = {"payloads": [_wire(started)]}
    post = stack.http.post

    assert (await post("/codec/decode", json=request)).status_code == 401
    assert (await post("/codec/decode", json=request, headers={"Authorization": "Bearer nope"})).status_code == 401
    for who in ("declarant", "foreign_officer", "sop_author"):  # the owner, another agency, not an officer
        refused = await post("/codec/decode", json=request, headers=stack.auth(who))
        assert refused.status_code == 403, (who, refused.text)
        assert body["lrn"] not in refused.text

    decoded = await post("/codec/decode", json=request, headers=stack.auth("customs_officer"))
    assert decoded.status_code == 200, decoded.text
    [plain] = decoded.json()["payloads"]
    assert base64.b64decode(plain["metadata"]["encoding"]) == b"json/plain"
    assert body["lrn"] in base64.b64decode(plain["data"]).decode()

    encoded = await post("/codec/encode", json={"payloads": [plain]}, headers=stack.auth("auditor"))
    assert encoded.status_code == 200, encoded.text
    [again] = encoded.json()["payloads"]
    assert base64.b64decode(again["metadata"]["encoding"]) == ENCODING
    assert again["data"] != request["payloads"][0]["data"]  # a fresh nonce
    back = await post("/codec/decode", json={"payloads": [again]}, headers=stack.auth("inspector"))
    assert back.json()["payloads"] == [plain]

    # Bad input: 422 at the field, never a 500.
    tampered = {**request["payloads"][0], "data": base64.b64encode(b"\x00" * 40).decode()}
    for bad, loc in [
        ({"payloads": [tampered]}, ["body", "payloads", 0]),
        ({"payloads": [{"data": "***"}]}, ["body", "payloads", 0, "data"]),
        ({"payloads": [{"metadata": {"encoding": "***"}}]}, ["body", "payloads", 0, "metadata"]),
        ({}, ["body", "payloads"]),
    ]:
        response = await post("/codec/decode", json=bad, headers=stack.auth("customs_officer"))
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["errors"][0]["loc"] == loc

    # The Temporal UI in a browser: the console's sign-in cookie on /console/codec, CORS for the UI's origin.
    ui = stack.settings.codec_origins[0]
    async with stack.db.writer() as session:  # a console sign-in: the cookie names a server-side session
        session_id = await principals.open_session(session, token=stack.tokens["supervisor"], hours=1)
    cookie = {"Cookie": f"{SESSION_COOKIE}={session_id}", "Origin": ui}
    from_ui = await post("/console/codec/decode", json=request, headers=cookie)
    assert from_ui.status_code == 200, from_ui.text
    assert from_ui.headers["access-control-allow-origin"] == ui
    assert from_ui.headers["access-control-allow-credentials"] == "true"
    no_cookie = await post("/console/codec/decode", json=request, headers={"Origin": ui})
    assert no_cookie.status_code == 401 and no_cookie.headers["access-control-allow-origin"] == ui
    async with stack.db.writer() as session:
        declarant_session = await principals.open_session(session, token=stack.tokens["declarant"], hours=1)
    declarant = {"Cookie": f"{SESSION_COOKIE}={declarant_session}"}
    assert (await post("/console/codec/decode", json=request, headers=declarant)).status_code == 403  # not staff
    preflight = {"Origin": ui, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-namespace"}
    allowed = await stack.http.options("/console/codec/decode", headers=preflight)
    assert allowed.status_code == 204 and allowed.headers["access-control-allow-origin"] == ui
    assert "POST" in allowed.headers["access-control-allow-methods"]
    elsewhere = await stack.http.options("/codec/decode", headers={**preflight, "Origin": "https://evil.example"})
    assert elsewhere.status_code == 403 and "access-control-allow-origin" not in elsewhere.headers
    api = await post("/v1/declarations", json=example("green-lane"), headers={**stack.auth("declarant"), "Origin": ui})
    assert "access-control-allow-origin" not in api.headers  # CORS only on the codec paths


def test_payload_encryption_off_is_the_plain_pydantic_converter(tmp_path: Path) -> None:
    from settings import Settings
    from stack.codec import PLAIN, PayloadConverter, data_converter

    off = data_converter(Settings(data_dir=tmp_path, payload_encryption="off"))
    assert off is PLAIN and off.payload_codec is None and type(off.payload_converter_class()) is PayloadConverter
    assert not (tmp_path / "keys").exists()
    on = data_converter(Settings(data_dir=tmp_path))
    assert on.payload_codec is not None and (tmp_path / "keys" / "payload-keys.json").stat().st_mode & 0o777 == 0o600


async def test_a_type_adapter_is_built_once_per_process_not_once_per_workflow() -> None:
    """The SDK builds a payload converter per workflow it runs; ours share one cache of pydantic type adapters, so
    the second workflow's `ReleaseExchange | None` result does not build its schema again."""
    from temporalio.converter import DataConverter

    from domain.exchange import ReleaseExchange
    from stack.codec import _TYPE_ADAPTERS, PayloadConverter

    value = ReleaseExchange(delivery="delivered", message_id="m-1")
    first, second = (DataConverter(payload_converter_class=PayloadConverter) for _ in range(2))
    assert first.payload_converter is not second.payload_converter
    assert PayloadConverter().converters[b"json/plain"]._type_adapter is _TYPE_ADAPTERS  # type: ignore[attr-defined]
    [payload] = await first.encode([value])
    hint: Any = ReleaseExchange | None  # as `workflows.acts.record_outcome` asks for it
    assert await first.decode([payload], [hint]) == [value]
    built = _TYPE_ADAPTERS.cache_info().misses
    assert await second.decode([payload], [hint]) == [value]
    assert _TYPE_ADAPTERS.cache_info().misses == built


async def test_an_encoded_input_is_the_value_as_it_was_encoded_and_crosses_sealed() -> None:
    """A local activity's input is encoded when scheduled (`workflows.options.run_local`): later changes to the
    object do not reach the payload, the codec seals it like any other, and it decodes into the declared type."""
    from domain.clearance import AuditEvent, ProjectionInput
    from domain.payloads import Encoded
    from domain.vocabulary import Status
    from tests.support import TEST_CONVERTER
    from tests.test_store import view as a_view

    view = a_view("26DE0000000000001X", 0, Status.in_progress)
    projection = ProjectionInput(view=view, audit=[AuditEvent(seq=1, at=view.updated_at, kind="accepted")])
    encoded = Encoded(projection)
    view.revision, view.lrn = 99, "CHANGED-AFTERWARDS"
    [sealed] = await TEST_CONVERTER.encode([encoded])
    assert sealed.metadata["encoding"] == ENCODING and b"CHANGED" not in sealed.data
    [decoded] = await TEST_CONVERTER.decode([sealed], [ProjectionInput])
    assert isinstance(decoded, ProjectionInput)
    assert decoded.view.revision == 0 and decoded.view.lrn != "CHANGED-AFTERWARDS"
    assert decoded.audit[0].kind == "accepted"
    payloads = TEST_CONVERTER.payload_converter.to_payloads([encoded, 7])  # mixed: each converted as it is
    assert [p.metadata["encoding"] for p in payloads] == [b"json/plain", b"json/plain"]
    assert payloads[0].data == encoded.data and payloads[1].data == b"7"


def test_every_data_converter_of_a_process_shares_one_payload_converter() -> None:
    """The SDK asks a data converter's `payload_converter_class` for a converter twice per workflow activation:
    ours answer with one instance, which takes no serialization context (so `with_context` keeps it)."""
    from temporalio.converter import WorkflowSerializationContext

    from stack.codec import PLAIN, PayloadConverter, converter_for
    from tests.support import TEST_KEYRING

    sealed = converter_for(TEST_KEYRING)
    first, second = sealed.payload_converter_class(), PLAIN.payload_converter_class()
    assert isinstance(first, PayloadConverter) and first is second
    context = WorkflowSerializationContext(namespace="default", workflow_id="clearance-x")
    assert first.with_context(context) is first
    assert sealed.with_context(context) is sealed
