"""The worker's payload passes: one visit of each workflow activation and completion, not three.

Temporal's Python worker (`temporalio.bridge.worker`) walks every activation it decodes and every completion it
encodes three times, each walk a Python traversal of the whole protobuf: once for the codec, and twice for
external payload storage (moving large payloads to a blob store, and codec-encoding the references that leave in
their place). This engine configures no external storage, so those two walks change nothing; yet they were ~6 % of
the worker's CPU per green-lane clearance (0.58 ms of 9.8, bench/README.md, "Session 15").

`install()` replaces the SDK's two functions by ones that make only the codec walk when the converter has no
external storage, and call the SDK's own otherwise. It does so only for the SDK code it was checked against
(`VERIFIED`, the source of both functions): a Temporal release that changes either keeps its own passes, and
the worker logs that it did. `tests/test_payload_passes.py` checks that both give the same protobufs for an
activation and a completion shaped like a clearance's (arguments, headers, memo, search attributes, a local
activity, a child workflow), and that a converter with external storage still gets every pass; the rest of the
suite runs every workflow through the single walk.
"""

from __future__ import annotations

import hashlib
import inspect
from typing import Any

import structlog
import temporalio.bridge.worker as bridge_worker
from temporalio.converter import DataConverter
from temporalio.converter._extstore import StorageOperationMetrics
from temporalio.worker._command_aware_visitor import CommandAwarePayloadVisitor

log = structlog.get_logger("payload_passes")

# sha256 of the SDK's `decode_activation` and `encode_completion` sources these replacements were checked against
# (temporalio 1.35.0).
VERIFIED = frozenset({"83dd9e03b029a448026335154696ab83c87d4e62b0b5653eedac9062eec59614"})

SDK_DECODE = bridge_worker.decode_activation
SDK_ENCODE = bridge_worker.encode_completion


def fingerprint() -> str:
    """The SDK's two functions, as the text they are written in (what `VERIFIED` holds); "" when the SDK was
    installed without its sources (then nothing matches and the SDK keeps its passes)."""
    try:
        text = inspect.getsource(SDK_DECODE) + inspect.getsource(SDK_ENCODE)
    except (OSError, TypeError):
        return ""
    return hashlib.sha256(text.encode()).hexdigest()


async def decode_activation(
    activation: Any, data_converter: DataConverter, decode_headers: bool, storage_concurrency_limit: int
) -> StorageOperationMetrics:
    """The SDK's `decode_activation` with only its codec pass when there is no external storage."""
    if data_converter.external_storage is not None:
        return await SDK_DECODE(activation, data_converter, decode_headers, storage_concurrency_limit)
    return await _codec_walk(activation, data_converter._decode_payload_sequence, decode_headers)


async def encode_completion(
    completion: Any, data_converter: DataConverter, encode_headers: bool, storage_concurrency_limit: int
) -> StorageOperationMetrics:
    """The SDK's `encode_completion` with only its codec pass when there is no external storage."""
    if data_converter.external_storage is not None:
        return await SDK_ENCODE(completion, data_converter, encode_headers, storage_concurrency_limit)
    return await _codec_walk(completion, data_converter._encode_payload_sequence, encode_headers)


async def _codec_walk(message: Any, codec: Any, headers: bool) -> StorageOperationMetrics:
    """The one walk of the SDK's three that changes anything without external storage: `codec` over every
    payload (search attributes excepted, headers when `headers`), as the SDK makes it; nothing was stored."""
    await CommandAwarePayloadVisitor(skip_search_attributes=True, skip_headers=not headers).visit(
        bridge_worker._Visitor(codec), message
    )
    return StorageOperationMetrics()


def install() -> bool:
    """Use the single-pass functions in this process's workflow workers; False (and the SDK's passes kept) when
    the SDK's functions are not the ones checked."""
    if bridge_worker.decode_activation is decode_activation:
        return True
    found = fingerprint()
    if found not in VERIFIED:
        log.warning("payload_passes_kept", reason="the Temporal SDK's payload passes changed", fingerprint=found)
        return False
    bridge_worker.decode_activation = decode_activation
    bridge_worker.encode_completion = encode_completion
    return True


def uninstall() -> None:
    """The SDK's own functions again (tests)."""
    bridge_worker.decode_activation = SDK_DECODE
    bridge_worker.encode_completion = SDK_ENCODE
