"""stack/payload_passes.py: the worker's single payload walk gives the protobufs the SDK's three walks give, and a
converter with external storage still gets all three."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest
import temporalio.bridge.worker as bridge_worker
from temporalio.api.common.v1 import Payload
from temporalio.bridge.proto.workflow_activation import workflow_activation_pb2 as activation_pb
from temporalio.bridge.proto.workflow_completion import workflow_completion_pb2 as completion_pb
from temporalio.converter import DataConverter, PayloadCodec

from stack import payload_passes
from tests.support import TEST_CONVERTER


class Marking(PayloadCodec):
    """A deterministic codec (the real one seals with a random nonce): wraps each payload, and counts."""

    def __init__(self) -> None:
        self.encoded = self.decoded = 0

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.encoded += len(payloads)
        return [Payload(metadata={"encoding": b"test/marked"}, data=p.SerializeToString()) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.decoded += len(payloads)
        out = []
        for p in payloads:
            if p.metadata.get("encoding") == b"test/marked":
                inner = Payload()
                inner.ParseFromString(p.data)
                out.append(inner)
            else:
                out.append(p)
        return out


def _payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=f'"{text}"'.encode())


def activation(marked: bool = False) -> activation_pb.WorkflowActivation:
    """A first activation (arguments, headers, memo, search attributes) with a resolved local activity."""
    wrap = (lambda p: Payload(metadata={"encoding": b"test/marked"}, data=p.SerializeToString())) if marked else None
    one = (lambda text: wrap(_payload(text))) if wrap else _payload
    act = activation_pb.WorkflowActivation(run_id="run-1")
    init = act.jobs.add().initialize_workflow
    init.workflow_type, init.workflow_id = "Clearance", "clearance-1"
    init.arguments.append(one("the input"))
    init.headers["trace"].CopyFrom(one("a header"))
    init.memo.fields["clearance"].CopyFrom(one("the memo"))
    init.search_attributes.indexed_fields["Mrn"].CopyFrom(_payload("26DE0000000000001X"))  # never codec'd
    resolved = act.jobs.add().resolve_activity
    resolved.seq, resolved.is_local = 1, True
    resolved.result.completed.result.CopyFrom(one("a result"))
    return act


def completion() -> completion_pb.WorkflowActivationCompletion:
    """A completion with a local activity, a search-attribute upsert, a child workflow and the workflow's result."""
    done = completion_pb.WorkflowActivationCompletion(run_id="run-1")
    commands = done.successful.commands
    local = commands.add().schedule_local_activity
    local.seq, local.activity_id, local.activity_type = 2, "2", "record_outcome"
    local.arguments.append(_payload("the outcome"))
    local.headers["trace"].CopyFrom(_payload("a header"))
    upsert = commands.add().upsert_workflow_search_attributes
    upsert.search_attributes.indexed_fields["ClearanceLane"].CopyFrom(_payload("green"))
    child = commands.add().start_child_workflow_execution
    child.seq, child.workflow_type = 3, "ExportExchange"
    child.input.append(_payload("the exchange"))
    child.memo["clearance"].CopyFrom(_payload("child memo"))
    commands.add().complete_workflow_execution.result.CopyFrom(_payload("the result"))
    return done


@pytest.mark.parametrize("headers", [True, False])
async def test_one_walk_gives_what_the_sdks_three_give(headers: bool) -> None:
    """Decoded and encoded with the SDK's functions and with ours: the same bytes, the same codec calls."""
    for walk in ("decode", "encode"):
        results = []
        for sdk in (True, False):
            codec = Marking()
            converter = DataConverter(payload_codec=codec)
            if walk == "decode":
                message: Any = activation(marked=True)
                function = payload_passes.SDK_DECODE if sdk else payload_passes.decode_activation
            else:
                message = completion()
                function = payload_passes.SDK_ENCODE if sdk else payload_passes.encode_completion
            metrics = await function(message, converter, headers, 8)
            assert metrics.payload_count == 0
            results.append((message.SerializeToString(deterministic=True), codec.encoded, codec.decoded))
        assert results[0] == results[1], walk
        assert results[0][1 if walk == "encode" else 2] == (4 if headers else 3) + (1 if walk == "encode" else 0)


async def test_the_real_codec_seals_and_opens_in_one_walk() -> None:
    """With the engine's encrypting converter: a completion's payloads leave sealed and an activation's open."""
    done = completion()
    await payload_passes.encode_completion(done, TEST_CONVERTER, True, 8)
    sealed = done.successful.commands[0].schedule_local_activity.arguments[0]
    assert sealed.metadata["encoding"] == b"binary/encrypted" and b"the outcome" not in sealed.data
    lane = done.successful.commands[1].upsert_workflow_search_attributes.search_attributes.indexed_fields
    assert lane["ClearanceLane"].data == b'"green"'  # search attributes stay plain (the server indexes them)
    act = activation()
    act.jobs[0].initialize_workflow.arguments[0].CopyFrom(sealed)
    await payload_passes.decode_activation(act, TEST_CONVERTER, True, 8)
    assert act.jobs[0].initialize_workflow.arguments[0].data == b'"the outcome"'


async def test_with_external_storage_the_sdks_passes_run(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Any]] = []

    async def sdk(name: str, message: Any, converter: Any, *rest: Any) -> str:
        calls.append((name, converter))
        return name

    monkeypatch.setattr(payload_passes, "SDK_DECODE", lambda *a: sdk("decode", *a))
    monkeypatch.setattr(payload_passes, "SDK_ENCODE", lambda *a: sdk("encode", *a))
    stored = SimpleNamespace(external_storage=object())
    assert await payload_passes.decode_activation(activation(), stored, True, 8) == "decode"  # type: ignore[arg-type]
    assert await payload_passes.encode_completion(completion(), stored, True, 8) == "encode"  # type: ignore[arg-type]
    assert calls == [("decode", stored), ("encode", stored)]


def test_installed_only_over_the_sdk_code_it_was_checked_against(monkeypatch: pytest.MonkeyPatch) -> None:
    installed = bridge_worker.decode_activation is payload_passes.decode_activation
    try:
        payload_passes.uninstall()
        monkeypatch.setattr(payload_passes, "VERIFIED", frozenset({"another SDK"}))
        assert payload_passes.install() is False
        assert bridge_worker.decode_activation is payload_passes.SDK_DECODE
        assert bridge_worker.encode_completion is payload_passes.SDK_ENCODE
        monkeypatch.setattr(payload_passes, "VERIFIED", frozenset({payload_passes.fingerprint()}))

        def no_source(_: object) -> str:
            raise OSError("could not get source code")

        with monkeypatch.context() as without_sources:  # an SDK installed without its .py files: kept, no error
            without_sources.setattr(payload_passes.inspect, "getsource", no_source)
            assert payload_passes.fingerprint() == "" and payload_passes.install() is False
            assert bridge_worker.decode_activation is payload_passes.SDK_DECODE
        assert payload_passes.install() is True
        assert bridge_worker.decode_activation is payload_passes.decode_activation
        assert bridge_worker.encode_completion is payload_passes.encode_completion
    finally:
        payload_passes.uninstall()
        if installed:
            payload_passes.install()
