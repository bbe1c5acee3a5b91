"""Encrypted history: a Temporal payload codec that seals every payload leaving the worker, the API and the tools
(workflow inputs and results, activity arguments, updates, queries, memo, failure messages) with AES-256-GCM.

An encrypted payload's metadata says only `encoding: binary/encrypted` and `encryption-key-id: <id>`; its data is
nonce ‖ ciphertext of the whole original payload (its metadata too, so even the encoding is hidden), with the key
id as associated data. Payloads without that encoding (histories recorded before encryption) pass through, so old
clearances and the recorded replay histories keep replaying. Search attributes are indexed by the server and
cannot be encrypted: domain/search.py keeps them free of personal data.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, cast

from pydantic import TypeAdapter
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter, PydanticPayloadConverter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec

from domain.payloads import Encoded
from settings import Settings
from stack.crypto import Keyring, KeyringError

ENCODING = b"binary/encrypted"
JSON_PLAIN = b"json/plain"
KEY_ID = "encryption-key-id"
ASSOCIATED_DATA = b"temporal-payload:"


class EncryptionCodec(PayloadCodec):
    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") == ENCODING:
            return payload  # already sealed (a payload passed through unchanged, e.g. a memo copied as is)
        key_id = self.keyring.current_id
        _, blob = self.keyring.encrypt(payload.SerializeToString(), ASSOCIATED_DATA + key_id.encode())
        return Payload(metadata={"encoding": ENCODING, KEY_ID: key_id.encode()}, data=blob)

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # plain: recorded before encryption was switched on
        key_id = payload.metadata.get(KEY_ID, b"").decode()
        if not key_id:
            raise KeyringError(f"encrypted payload without {KEY_ID}")
        plain = Payload()
        plain.ParseFromString(self.keyring.decrypt(key_id, payload.data, ASSOCIATED_DATA + key_id.encode()))
        return plain


_TYPE_ADAPTERS = functools.lru_cache(maxsize=1024)(TypeAdapter)


class PayloadConverter(PydanticPayloadConverter):
    """Temporal's pydantic payload converter with one cache of type adapters per process. The SDK builds a new
    payload converter for every workflow it runs, each with an empty cache, so every result a workflow received
    built its pydantic TypeAdapter (and for a union, `ReleaseExchange | None`, its whole schema) anew."""

    def __init__(self) -> None:
        super().__init__()
        for converter in self.converters.values():
            if isinstance(converter, PydanticJSONPlainPayloadConverter):
                converter._type_adapter = _TYPE_ADAPTERS

    def to_payloads(self, values: Sequence[Any]) -> list[Payload]:
        """As the pydantic converter does, but an `Encoded` value (domain/payloads.py) is JSON already."""
        if not any(type(value) is Encoded for value in values):
            return super().to_payloads(values)
        convert = super().to_payloads
        return [
            Payload(metadata={"encoding": JSON_PLAIN}, data=value.data)
            if type(value) is Encoded
            else convert([value])[0]
            for value in values
        ]


@functools.cache
def _shared_payload_converter() -> PayloadConverter:
    return PayloadConverter()


# What the data converters are given as their `payload_converter_class`: the SDK calls it for every workflow
# activation it decodes and for every one it encodes, each time building the composite and its five converters
# (~2 % of the worker's CPU per green-lane clearance, three activations). Ours hold no state of their own (the type
# adapters are cached per process) and take no serialization context, so every call returns the one instance.
SHARED_PAYLOAD_CONVERTER = cast("type[PayloadConverter]", _shared_payload_converter)

PLAIN = DataConverter(payload_converter_class=SHARED_PAYLOAD_CONVERTER)  # PAYLOAD_ENCRYPTION=off (measurements)


def keyring_for(settings: Settings) -> Keyring:
    return Keyring.from_file(settings.resolved_payload_keys_file)


def converter_for(keyring: Keyring | None) -> DataConverter:
    """The pydantic converter (domain models cross as themselves) + the codec; failure messages and stack traces
    travel as an encoded payload too, so a refusal naming a party is sealed like everything else."""
    if keyring is None:
        return PLAIN
    return DataConverter(
        payload_converter_class=SHARED_PAYLOAD_CONVERTER,
        payload_codec=EncryptionCodec(keyring),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def data_converter(settings: Settings) -> DataConverter:
    """The one converter of every process: encrypted unless PAYLOAD_ENCRYPTION=off."""
    return converter_for(keyring_for(settings) if settings.payload_encryption == "on" else None)
