"""Signed messages between administrations: compact JWS (RFC 7515) with `alg: EdDSA` (RFC 8037, Ed25519) and the
signing key's `kid` in the protected header, through PyJWT. The claims are the message envelope: `jti` (message
id), `iss` (sending agency), `aud` (receiving agency), `iat`, and `msg` (kind, mrn, in_reply_to, payload).

A receiver verifies against the key the agency registry lists for the sender under that `kid`; an unsigned token
(`alg: none`), another algorithm, an unknown key, an altered payload or a token for another audience is refused.

Keys: the administration this engine is signs with the audit log's Ed25519 key; an embedded partner hosted by the
same engine (a registry agency without an endpoint) gets its own key under DATA_DIR/keys/."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from domain.agencies import Agency, AgencyKey
from store.audit_note import load_or_create_key, raw_public_key

ALG = "EdDSA"
TYP = "clearance-exchange+jwt"


class SignatureRefused(ValueError):
    """An inbound message that is not signed, or whose signature does not verify against the sender's key."""


def key_id_of(agency_id: str, public_key: bytes) -> str:
    return f"{agency_id}#{hashlib.sha256(public_key).hexdigest()[:16]}"


@dataclass(frozen=True)
class SigningKey:
    agency: str
    private_key: Ed25519PrivateKey

    @cached_property
    def public_key(self) -> bytes:
        return raw_public_key(self.private_key.public_key())

    @cached_property
    def key_id(self) -> str:
        return key_id_of(self.agency, self.public_key)

    def registry_entry(self) -> AgencyKey:
        return AgencyKey(key_id=self.key_id, public_key=base64.b64encode(self.public_key).decode())

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private_key, algorithm=ALG, headers={"kid": self.key_id, "typ": TYP})


@dataclass
class Keyring:
    """The private keys of the agencies this engine speaks for: its administration and its embedded partners."""

    keys: dict[str, SigningKey] = field(default_factory=dict)

    def for_agency(self, agency: str) -> SigningKey:
        try:
            return self.keys[agency]
        except KeyError as exc:
            raise KeyError(f"this engine holds no signing key of {agency}") from exc

    def hosts(self, agency: str) -> bool:
        return agency in self.keys


def keyring(*, administration: str, audit_key: Path, keys_dir: Path, embedded: list[str]) -> Keyring:
    ring = Keyring({administration: SigningKey(administration, load_or_create_key(audit_key))})
    for agency in embedded:
        if agency != administration:
            ring.keys[agency] = SigningKey(agency, load_or_create_key(keys_dir / f"exchange-{agency.lower()}.pem"))
    return ring


def unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims, unchecked: to find the sender and its key, and to record a refused message. Read here
    (strict base64url, C speed) rather than by PyJWT, which checks every character of a segment in Python: the
    token is decoded by PyJWT once, when `verify` checks it."""
    segments = token.split(".")
    if len(segments) != 3:
        raise SignatureRefused(f"not a compact JWS: {len(segments)} segments, expected 3")
    try:
        header, claims = (json.loads(_base64url(segment)) for segment in segments[:2])
    # UnicodeDecodeError and JSONDecodeError are ValueErrors; RecursionError: JSON nested thousands deep
    except (binascii.Error, ValueError, RecursionError) as exc:
        raise SignatureRefused(f"not a compact JWS: {exc}") from exc
    if not isinstance(header, dict):
        raise SignatureRefused("not a compact JWS: the header is not a JSON object")
    if not isinstance(claims, dict):
        raise SignatureRefused("the JWS payload is not a JSON object")
    return header, claims


def _base64url(segment: str) -> bytes:
    """RFC 7515 §2 base64url without padding; any other character is an error."""
    if len(segment) % 4 == 1:
        raise binascii.Error("impossible base64url length")
    return base64.b64decode(segment + "=" * (-len(segment) % 4), altchars=b"-_", validate=True)


@lru_cache(maxsize=256)
def _public_key(encoded: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(encoded))


def verify(
    token: str, sender: Agency, audience: str, header: dict[str, Any] | None = None
) -> tuple[dict[str, Any], str]:
    """The verified claims and the key id they were signed with; SignatureRefused otherwise. `header`: the
    token's unverified header when the caller has read it already (`unverified`)."""
    if header is None:
        header, _ = unverified(token)
    if header.get("alg") != ALG:
        raise SignatureRefused(f"unsigned or not EdDSA (alg {header.get('alg')!r}): refused")
    kid = header.get("kid")
    key = next((k for k in sender.keys if k.key_id == kid), None)
    if key is None:
        raise SignatureRefused(f"{sender.id} has no registered key {kid!r}")
    public = _public_key(key.public_key)
    try:
        claims = jwt.decode(
            token,
            public,
            algorithms=[ALG],
            audience=audience,
            issuer=sender.id,
            options={"require": ["jti", "iss", "aud", "iat", "msg"]},
        )
    except jwt.InvalidSignatureError as exc:
        raise SignatureRefused(f"the signature does not verify against {kid}") from exc
    except jwt.PyJWTError as exc:
        raise SignatureRefused(f"refused: {exc}") from exc
    return claims, str(kid)
