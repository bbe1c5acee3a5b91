"""Messages between administrations, built in memory: an outbound message signed, an inbound one checked (the
sender's registry key, signature, audience, agreement) and the row it is kept as. No database: the exchange office
stores these rows in its caller's transaction, and a release prepares them before its transaction
(`ExchangeOffice.prepare_embedded`), so the time the database's writer is held is spent writing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from adapters.signing import SignatureRefused, SigningKey, unverified, verify
from domain.agencies import Agency
from domain.exchange import MESSAGE_KINDS, ExchangeAgreement, agreement_with
from store.models import ExchangeMessage, MessageRow


class Refused(Exception):
    """An inbound message that does not verify: the status to answer, why, and what could be read of it."""

    def __init__(self, status: int, reason: str, header: dict[str, Any], claims: dict[str, Any]) -> None:
        super().__init__(reason)
        self.status, self.reason, self.header, self.claims = status, reason, header, claims


def signed_message(
    key: SigningKey,
    *,
    ident: str,
    kind: str,
    mrn: str,
    sender: str,
    recipient: str,
    payload: dict[str, Any],
    in_reply_to: str | None,
    status: str,
    now: datetime,
) -> MessageRow:
    """The message signed, as the row it is kept as (`store.exchange.add` stores it, or `insert_prepared`)."""
    claims = {
        "jti": ident,
        "iss": sender,
        "aud": recipient,
        "iat": int(now.timestamp()),
        "msg": {"kind": kind, "mrn": mrn, "in_reply_to": in_reply_to, "sent_at": now.isoformat(), "payload": payload},
    }
    return MessageRow(
        id=ident,
        direction="out",
        mrn=mrn,
        kind=kind,
        from_agency=sender,
        to_agency=recipient,
        status=status,
        in_reply_to=in_reply_to,
        sent_at=now,
        payload=payload,
        jws=key.sign(claims),
        signature={"alg": "EdDSA", "key_id": key.key_id, "verified": True},
    )


def checked_inbound(
    token: str,
    *,
    registry: Mapping[str, Agency],
    hosts: Callable[[str], bool],
    agreements: list[ExchangeAgreement],
) -> tuple[dict[str, Any], str, Agency, str]:
    """The verified claims, key id, sender and audience of an inbound message; Refused otherwise."""
    try:
        header, claims = unverified(token)
    except SignatureRefused as exc:
        raise Refused(422, str(exc), {}, {}) from exc
    audience, issuer = claims.get("aud"), claims.get("iss")
    if not isinstance(audience, str) or not hosts(audience):
        raise Refused(403, f"not addressed to an administration of this engine ({audience!r})", header, claims)
    sender = registry.get(issuer) if isinstance(issuer, str) else None
    if sender is None:
        raise Refused(403, f"unknown sender {issuer!r}", header, claims)
    try:
        checked, kid = verify(token, sender, audience, header)
    except SignatureRefused as exc:
        raise Refused(403, str(exc), header, claims) from exc
    msg = checked["msg"] if isinstance(checked.get("msg"), dict) else {}
    kind = msg.get("kind")
    problem = _problem(agreements, sender, kind, msg.get("mrn"), msg.get("payload"))
    if problem is not None:
        raise Refused(422 if kind in MESSAGE_KINDS else 403, problem, header, claims)
    return checked, kid, sender, audience


def _problem(agreements: list[ExchangeAgreement], sender: Agency, kind: Any, mrn: Any, payload: Any) -> str | None:
    if kind not in MESSAGE_KINDS:
        return f"unknown message kind {kind!r}"
    if not isinstance(mrn, str) or len(mrn) != 18:
        return "the message names no MRN"
    if not isinstance(payload, dict):
        return "the payload is not an object"
    agreement = agreement_with(agreements, sender.id)
    if agreement is None or not agreement.allows(kind):
        return f"no exchange agreement with {sender.id} names {kind} messages"
    return None


def received_message(
    token: str, claims: dict[str, Any], kid: str, sender: Agency, audience: str, now: datetime
) -> MessageRow:
    """The verified message as the row it is kept as (as `signed_message`'s)."""
    msg = claims["msg"]
    return MessageRow(
        id=str(claims["jti"]),
        direction="in",
        mrn=msg["mrn"],
        kind=msg["kind"],
        from_agency=sender.id,
        to_agency=audience,
        status="received",
        in_reply_to=msg.get("in_reply_to"),
        sent_at=_parse(msg.get("sent_at")) or datetime.fromtimestamp(int(claims["iat"]), UTC),
        received_at=now,
        payload=msg["payload"],
        jws=token,
        signature={"alg": "EdDSA", "key_id": kid, "verified": True},
    )


def acknowledgement_payload(received: MessageRow | ExchangeMessage) -> dict[str, Any]:
    return {
        "acknowledges": received.id,
        "kind": received.kind,
        "received_at": received.received_at.isoformat() if received.received_at else None,
    }


def rejected_message(
    token: str, header: dict[str, Any], claims: dict[str, Any], reason: str, row_id: str, now: datetime
) -> ExchangeMessage:
    """A refused message as it is kept: what could be read of it, and why."""
    found = claims.get("msg")
    msg: dict[str, Any] = found if isinstance(found, dict) else {}
    named = msg.get("mrn")
    mrn = named if isinstance(named, str) and len(named) == 18 else "?" * 18
    kind = str(msg.get("kind")) if msg.get("kind") in MESSAGE_KINDS else "unknown"
    iss, aud = claims.get("iss"), claims.get("aud")
    return ExchangeMessage(
        id=row_id,
        direction="in",
        mrn=mrn,
        kind=kind,
        from_agency=str(iss)[:40] if iss else "?",
        to_agency=str(aud)[:40] if aud else "?",
        status="rejected",
        reason=reason[:400],
        in_reply_to=None,
        sent_at=now,
        received_at=now,
        payload={},
        jws=token[:20000],
        signature={"alg": str(header.get("alg")), "key_id": header.get("kid"), "verified": False},
    )


def _parse(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None
