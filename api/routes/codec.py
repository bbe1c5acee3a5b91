"""The Temporal UI's codec server: POST {endpoint}/decode and {endpoint}/encode with `{"payloads": [...]}` (the
proto JSON of Payloads: metadata values and data in base64), answered with the payloads decrypted or encrypted by
the same codec the API's Temporal client uses (stack/codec.py).

Only an officer or auditor of the administration's agency (CODEC_AGENCY, default: the agency of SOP_NAME) may use
it: 401 without a known token, 403 for anyone else. A tool sends `Authorization: Bearer <token>` to `/codec`
(`temporal workflow show --codec-endpoint http://127.0.0.1:8000/codec --codec-auth "Bearer <token>"`); the
Temporal UI in a browser cannot send our token, so it calls `/console/codec`, where the console's sign-in cookie
(scoped to /console) authenticates the officer. Both answer CORS for the UI's origin (CODEC_CORS_ORIGINS).
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field, field_validator
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.api.common.v1 import Payload

from api.console.web import NotStaff, SignInRequired, signed_in
from api.deps import ServicesDep, current_principal
from api.errors import ApiError, check, forbidden, invalid
from domain import policy
from stack.codec import EncryptionCodec
from stack.crypto import KeyringError
from store import sops as sop_store
from store.models import Principal

router = APIRouter(tags=["codec"])
PREFIXES = ("/codec/", "/console/codec/")
MAX_PAYLOADS = 1000


def _b64(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not standard base64") from exc


class WirePayload(BaseModel):
    metadata: dict[str, str] = Field(default_factory=dict)
    data: str = ""

    @field_validator("metadata")
    @classmethod
    def _metadata_base64(cls, value: dict[str, str]) -> dict[str, str]:
        for key, item in value.items():
            try:
                _b64(item)
            except ValueError as exc:
                raise ValueError(f"metadata {key!r} is not standard base64") from exc
        return value

    @field_validator("data")
    @classmethod
    def _data_base64(cls, value: str) -> str:
        _b64(value)
        return value

    def to_proto(self) -> Payload:
        return Payload(metadata={k: _b64(v) for k, v in self.metadata.items()}, data=_b64(self.data))

    @classmethod
    def of(cls, payload: Payload) -> WirePayload:
        return cls(
            metadata={k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
            data=base64.b64encode(payload.data).decode(),
        )


class Payloads(BaseModel):
    payloads: list[WirePayload] = Field(max_length=MAX_PAYLOADS)


async def codec_agency(services: ServicesDep) -> str:
    if services.settings.codec_agency:
        return services.settings.codec_agency
    async with services.db.session() as session:
        published = await sop_store.latest(session, services.settings.sop_name)
    if published is None:
        raise ApiError(503, f"no version of SOP {services.settings.sop_name} is published; set CODEC_AGENCY")
    return published.definition.agency


async def codec_officer(
    request: Request, services: ServicesDep, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    """The bearer token's principal, or (the Temporal UI in a browser) the console's signed-in officer."""
    if authorization is None and request.url.path.startswith("/console/"):
        try:
            principal = await signed_in(request, services)
        except SignInRequired as exc:
            raise ApiError(401, "sign in to the console (/console/login) or send a bearer token") from exc
        except NotStaff as exc:
            raise forbidden("only officers of the administration may decrypt workflow payloads") from exc
    else:
        principal = await current_principal(services, authorization)
    check(policy.may_use_codec(principal, await codec_agency(services)))
    return principal


def _codec(services: ServicesDep) -> EncryptionCodec | None:
    codec = services.temporal.data_converter.payload_codec
    return codec if isinstance(codec, EncryptionCodec) else None  # None: PAYLOAD_ENCRYPTION=off


async def _transcode(request: Request, services: ServicesDep, body: Payloads, *, decode: bool) -> Payloads:
    await codec_officer(request, services, request.headers.get("authorization"))
    codec = _codec(services)
    out: list[WirePayload] = []
    for i, wire in enumerate(body.payloads):
        payload = wire.to_proto()
        if codec is not None:
            try:
                payload = codec.decrypt(payload) if decode else codec.encrypt(payload)
            except (KeyringError, ValueError) as exc:
                raise invalid(["body", "payloads", i], f"cannot decrypt this payload: {exc}") from exc
        out.append(WirePayload.of(payload))
    return Payloads(payloads=out)


async def decode(request: Request, services: ServicesDep, body: Payloads) -> Payloads:
    """Decrypt workflow payloads (what the Temporal UI shows)."""
    return await _transcode(request, services, body, decode=True)


async def encode(request: Request, services: ServicesDep, body: Payloads) -> Payloads:
    """Encrypt payloads (what the Temporal UI sends, e.g. a signal's input)."""
    return await _transcode(request, services, body, decode=False)


for _prefix, _public in (("/codec", True), ("/console/codec", False)):
    for _name, _handler in (("decode", decode), ("encode", encode)):
        router.add_api_route(
            f"{_prefix}/{_name}",
            _handler,
            methods=["POST"],
            summary=f"{_name.title()} workflow payloads (Temporal codec server)",
            include_in_schema=_public,
        )


class CodecCors:
    """CORS for the codec paths only: the Temporal UI (another origin) calls them from the browser, with
    credentials (the console cookie) when its "include cross-origin credentials" setting is on."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app, self.origins = app, set(origins)

    def _headers(self, origin: str) -> list[tuple[bytes, bytes]]:
        return [
            (b"access-control-allow-origin", origin.encode()),
            (b"access-control-allow-credentials", b"true"),
            (b"vary", b"Origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(PREFIXES):
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        origin = headers.get("origin", "")
        allowed = origin in self.origins
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            extra: list[tuple[bytes, bytes]] = []
            if allowed:
                extra = [
                    *self._headers(origin),
                    (b"access-control-allow-methods", b"POST, OPTIONS"),
                    (b"access-control-allow-headers", b"authorization, content-type, x-namespace"),
                    (b"access-control-max-age", b"600"),
                ]
            await send({"type": "http.response.start", "status": 204 if allowed else 403, "headers": extra})
            await send({"type": "http.response.body", "body": b""})
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start" and allowed:
                message = {**message, "headers": [*message.get("headers", []), *self._headers(origin)]}
            await send(message)

        await self.app(scope, receive, with_cors)

