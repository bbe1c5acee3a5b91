"""The exchange office of this engine: composes and signs the messages its administration (and any embedded
partner it hosts) sends, delivers them through the partner adapter, and receives inbound messages — verified
against the sender's key in the agency registry, stored, audited and acknowledged.

Shared by the worker (delivery activities, the embedded partner) and the API (`POST /v1/exchange/inbound`, the
officers' control results and mutual-assistance messages)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import structlog

from adapters.exchange_rows import (
    Refused,
    acknowledgement_payload,
    checked_inbound,
    received_message,
    rejected_message,
    signed_message,
)
from adapters.partner import EmbeddedPartner, HttpPartner, InboundRefused, PartnerAdministration
from adapters.signing import Keyring, keyring
from domain.agencies import Agency
from domain.clearance import AuditEvent
from domain.exchange import ExchangeAgreement, agreement_with, load_agreements, message_id
from settings import Settings
from store import agencies as agency_store
from store import exchange as exchange_store
from store.db import Database
from store.models import ExchangeMessage, MessageRow, utcnow

log = structlog.get_logger("exchange")
AGREEMENTS_FILE = "exchange-agreements.yaml"
REGISTRY_SECONDS = 10.0


class NotAgreed(ValueError):
    """No exchange agreement covers this partner, country or message kind."""


class ExchangeOffice:
    """One per process. Its keys are read (and published in the registry) on first use: this administration's
    (the audit log's key) and one per embedded partner (a partner customs of the registry without an endpoint)."""

    def __init__(self, *, settings: Settings, db: Database, http: PartnerAdministration | None = None) -> None:
        self.db = db
        self._settings = settings
        self._ring: Keyring | None = None
        self.agreements: list[ExchangeAgreement] = load_agreements(Path(settings.reference_dir) / AGREEMENTS_FILE)
        self.embedded = EmbeddedPartner(self.receive)
        self._registry: dict[str, Agency] | None = None
        self._registry_at = 0.0
        self.http = http or HttpPartner(settings.adapter_timeout_seconds)

    @property
    def ring(self) -> Keyring | None:
        """The keys, once `keys()` has read them."""
        return self._ring

    async def keys(self) -> Keyring:
        if self._ring is None:
            settings = self._settings
            async with self.db.writer() as session:
                registry = await agency_store.all_agencies(session)
                embedded = [a.id for a in registry if a.kind == "partner_customs" and not a.endpoint]
                ring = keyring(
                    administration=settings.administration,
                    audit_key=settings.audit_log_key_path,
                    keys_dir=settings.data_dir / "keys",
                    embedded=embedded,
                )
                known = {a.id for a in registry}
                for agency, key in ring.keys.items():
                    if agency in known:
                        await agency_store.add_key(session, agency, key.registry_entry())
                await session.commit()
            self._ring, self._registry = ring, None  # the registry now lists our keys
        return self._ring

    def cached_registry(self) -> dict[str, Agency] | None:
        """The registry as last read, while it is younger than REGISTRY_SECONDS (no session needed then)."""
        if self._registry is None or time.monotonic() - self._registry_at > REGISTRY_SECONDS:
            return None
        return self._registry

    async def registry(self, session: Any) -> dict[str, Agency]:
        """The agency registry by id, read at most every REGISTRY_SECONDS (a release reads it four times: the
        partner, and each signature's sender): a key added to the registry is used within that time."""
        cached = self.cached_registry()
        if cached is not None:
            return cached
        self._registry = {a.id: a for a in await agency_store.all_agencies(session)}
        self._registry_at = time.monotonic()
        return self._registry

    # --- sending ------------------------------------------------------------------------------------------

    def agreement(self, partner: str, country: str | None = None, kind: str | None = None) -> ExchangeAgreement:
        found = agreement_with(self.agreements, partner, country)
        if found is None:
            raise NotAgreed(f"no exchange agreement with {partner}" + (f" for {country}" if country else ""))
        if kind is not None and not found.allows(kind):
            raise NotAgreed(f"the exchange agreement with {partner} does not name {kind} messages")
        return found

    async def compose(
        self,
        *,
        kind: str,
        mrn: str,
        sender: str,
        recipient: str,
        payload: dict[str, Any],
        in_reply_to: str | None = None,
        actor: str | None = None,
        msg_id: str | None = None,
        status: str = "pending",
    ) -> ExchangeMessage:
        """Sign and store an outbound message (idempotent on its id)."""
        await self.keys()  # read (and published) before the write transaction, which it would wait for
        async with self.db.writer() as session:
            batch = exchange_store.AuditBatch()
            row = await self.compose_in(
                session,
                batch,
                kind=kind,
                mrn=mrn,
                sender=sender,
                recipient=recipient,
                payload=payload,
                in_reply_to=in_reply_to,
                actor=actor,
                msg_id=msg_id,
                status=status,
            )
            await batch.flush(session)
            await session.commit()
            return row

    async def compose_in(
        self,
        session: Any,
        batch: exchange_store.AuditBatch,
        *,
        kind: str,
        mrn: str,
        sender: str,
        recipient: str,
        payload: dict[str, Any],
        in_reply_to: str | None,
        actor: str | None,
        msg_id: str | None,
        status: str,
        fresh: bool = False,
    ) -> ExchangeMessage:
        """Sign and store an outbound message in the caller's transaction (its audit event with `batch`);
        `fresh`: it answers a message this transaction stored, so it cannot be stored yet."""
        self.agreement(recipient, kind=kind)
        key = (await self.keys()).for_agency(sender)
        ident = msg_id or str(uuid.uuid4())
        if not fresh:
            found = await exchange_store.get(session, ident, "out")
            if found is not None:
                return found
        row = signed_message(
            key,
            ident=ident,
            kind=kind,
            mrn=mrn,
            sender=sender,
            recipient=recipient,
            payload=payload,
            in_reply_to=in_reply_to,
            status=status,
            now=utcnow(),
        )
        return await exchange_store.add(session, row, "exchange_composed", actor, batch=batch, known_new=fresh)

    async def prepare_embedded(
        self,
        registry: dict[str, Agency],
        *,
        kind: str,
        mrn: str,
        sender: str,
        recipient: str,
        payload: dict[str, Any],
        msg_id: str,
    ) -> tuple[list[MessageRow], list[AuditEvent]]:
        """A message to a partner this engine embeds, delivered in memory: signed, checked and received as the
        partner's inbox receives it, acknowledged, and the acknowledgement checked and received back — the four
        rows (the message `acknowledged` first, plain `MessageRow`s for a Core insert) and their audit events in
        the order `send_in` would log them, for the caller to store in its transaction. Refused when a check
        fails (then `send_in` records it)."""
        ring = await self.keys()
        self.agreement(recipient, kind=kind)
        now = utcnow()

        def checked(token: str) -> tuple[dict[str, Any], str, Agency, str]:
            return checked_inbound(token, registry=registry, hosts=ring.hosts, agreements=self.agreements)

        out = signed_message(
            ring.for_agency(sender),
            ident=msg_id,
            kind=kind,
            mrn=mrn,
            sender=sender,
            recipient=recipient,
            payload=payload,
            in_reply_to=None,
            status="pending",
            now=now,
        )
        events = [exchange_store.audit_event(out, "exchange_composed")]
        claims, kid, source, audience = checked(out.jws or "")
        received = received_message(out.jws or "", claims, kid, source, audience, now)
        events.append(exchange_store.audit_event(received, "exchange_received"))
        ack = signed_message(
            ring.for_agency(audience),
            ident=message_id(mrn, "acknowledgement", received.id),
            kind="acknowledgement",
            mrn=mrn,
            sender=audience,
            recipient=source.id,
            payload=acknowledgement_payload(received),
            in_reply_to=received.id,
            status="delivered",  # it travels back in the response
            now=now,
        )
        events.append(exchange_store.audit_event(ack, "exchange_composed"))
        out.attempts, out.status, out.received_at = 1, "delivered", now
        events.append(exchange_store.audit_event(out, "exchange_delivered"))
        claims, kid, source, audience = checked(ack.jws or "")
        ack_received = received_message(ack.jws or "", claims, kid, source, audience, utcnow())
        events.append(exchange_store.audit_event(ack_received, "exchange_received"))
        out.status, out.acknowledged_at = "acknowledged", ack_received.received_at
        events.append(exchange_store.audit_event(out, "exchange_acknowledged"))
        return [out, received, ack, ack_received], events

    async def deliver(self, message: str) -> str:
        """Deliver a stored outbound message once more (a durable `ExchangeDelivery`, or a remote partner after a
        release); its status afterwards (delivered or acknowledged). The partner's acknowledgement, when it answers
        with one, is verified and stored with the delivery in one transaction."""
        await self.keys()
        async with self.db.session() as session:
            row = await exchange_store.get(session, message, "out")
            if row is None:
                raise KeyError(message)
            if row.status in ("acknowledged", "failed"):
                return row.status
            partner = (await self.registry(session)).get(row.to_agency)
        if partner is None:
            raise InboundRefused(404, f"{row.to_agency} is not in the agency registry")
        adapter = self.http if partner.endpoint else self.embedded
        assert adapter is not None
        ack = await adapter.deliver(partner, row.jws or "")
        async with self.db.writer() as session:
            batch = exchange_store.AuditBatch()
            row = await exchange_store.get(session, message, "out")
            assert row is not None
            try:
                status = await self._delivered_in(session, batch, row, ack)
            except InboundRefused:  # the acknowledgement did not verify: delivered, and the refusal recorded
                await self._commit(session, batch)
                raise
            await self._commit(session, batch)
            return status

    async def send_in(self, session: Any, batch: exchange_store.AuditBatch, row: ExchangeMessage) -> str | None:
        """Deliver in the caller's transaction when the recipient is a partner this engine embeds (its inbox is in
        the same database): its receipt, its acknowledgement and their audit events commit with the caller's
        writes, and the status is returned (`acknowledged`, or `failed` when the partner refused it). None for a
        remote partner: `deliver` it after the commit. `keys()` must have been read before the transaction."""
        partner = (await self.registry(session)).get(row.to_agency)
        if partner is None or partner.endpoint:
            return None
        fresh = exchange_store.created_here(session, row)  # then nothing answering it is stored yet either
        try:
            ack = await self._receive_in(session, batch, row.jws or "", fresh=fresh)
            return await self._delivered_in(session, batch, row, ack, fresh=fresh)
        except InboundRefused as exc:
            reason = f"{partner.id} refused: {exc.status} {exc.reason}"
            await exchange_store.set_status(session, row, "failed", reason=reason, batch=batch)
            return "failed"

    async def _delivered_in(
        self,
        session: Any,
        batch: exchange_store.AuditBatch,
        row: ExchangeMessage,
        ack: str | None,
        *,
        fresh: bool = False,
    ) -> str:
        """The message reached its partner: delivered, and acknowledged when the partner's signed answer verifies
        (an answer that does not is recorded as refused, and raised)."""
        row.attempts += 1
        await exchange_store.set_status(session, row, "delivered", batch=batch)
        if ack is not None:
            await self._receive_in(session, batch, ack, fresh=fresh)  # it settles `row` (_on_received)
        return row.status

    async def fail(self, message: str, reason: str) -> None:
        async with self.db.writer() as session:
            row = await exchange_store.get(session, message, "out")
            if row is not None:
                await exchange_store.set_status(session, row, "failed", reason=reason)
                await session.commit()

    # --- receiving ----------------------------------------------------------------------------------------

    async def receive(self, token: str) -> str | None:
        """Verify, store and acknowledge one inbound message; its signed acknowledgement (None for an
        acknowledgement itself). Raises InboundRefused (and records the refusal) for anything not verified."""
        await self.keys()
        async with self.db.writer() as session:
            batch = exchange_store.AuditBatch()
            try:
                ack = await self._receive_in(session, batch, token)
            except InboundRefused:
                await self._commit(session, batch)  # the refusal is kept
                raise
            await self._commit(session, batch)
        return ack

    async def _receive_in(
        self, session: Any, batch: exchange_store.AuditBatch, token: str, *, fresh: bool = False
    ) -> str | None:
        verified = await self._verified(session, batch, token)
        return await self._store_in(session, batch, *verified, fresh=fresh)

    @staticmethod
    async def _commit(session: Any, batch: exchange_store.AuditBatch) -> None:
        await batch.flush(session)
        await session.commit()

    async def _verified(
        self, session: Any, batch: exchange_store.AuditBatch, token: str
    ) -> tuple[str, dict[str, Any], str, Agency, str]:
        """The token, its verified claims, key id, sender and audience; refused (recorded in the transaction)
        otherwise."""
        ring = await self.keys()
        try:
            claims, kid, sender, audience = checked_inbound(
                token, registry=await self.registry(session), hosts=ring.hosts, agreements=self.agreements
            )
        except Refused as refused:
            await self._refuse(session, batch, token, refused.header, refused.claims, refused.reason)
            raise InboundRefused(refused.status, refused.reason) from refused
        return token, claims, kid, sender, audience

    async def _store_in(
        self,
        session: Any,
        batch: exchange_store.AuditBatch,
        token: str,
        claims: dict[str, Any],
        kid: str,
        sender: Agency,
        audience: str,
        *,
        fresh: bool = False,
    ) -> str | None:
        """Store a verified inbound message and compose its signed acknowledgement (None for an acknowledgement
        itself), in the caller's transaction (`fresh`: in answer to a message it stored)."""
        built = received_message(token, claims, kid, sender, audience, utcnow())
        row = await exchange_store.add(session, built, "exchange_received", None, batch=batch, known_new=fresh)
        await self._on_received(session, row, batch)
        if row.kind == "acknowledgement":
            return None
        ack = await self.compose_in(
            session,
            batch,
            kind="acknowledgement",
            mrn=row.mrn,
            sender=audience,
            recipient=sender.id,
            payload=acknowledgement_payload(row),
            in_reply_to=row.id,
            actor=None,
            msg_id=message_id(row.mrn, "acknowledgement", row.id),
            status="delivered",  # it travels back in the response
            fresh=fresh,
        )
        return ack.jws

    async def _on_received(self, session: Any, row: ExchangeMessage, batch: exchange_store.AuditBatch) -> None:
        """What a received message changes: an acknowledgement settles the message it acknowledges; a control
        result with an irregularity is audited as such for the exporting customs (and shown in the clearance)."""
        if row.kind == "acknowledgement" and row.in_reply_to:
            original = await exchange_store.get(session, row.in_reply_to, "out")
            if original is not None:
                await exchange_store.set_status(session, original, "acknowledged", at=row.received_at, batch=batch)
        elif row.kind == "control_result" and row.payload.get("result") == "irregularity":
            await exchange_store.audit(
                session, row, "exchange_irregularity", None, batch=batch, note=row.payload.get("note")
            )

    async def _refuse(
        self,
        session: Any,
        batch: exchange_store.AuditBatch,
        token: str,
        header: dict[str, Any],
        claims: dict[str, Any],
        reason: str,
    ) -> None:
        """Keep a refused message (rejected, with why) in the caller's transaction."""
        row = rejected_message(token, header, claims, reason, str(uuid.uuid4()), utcnow())
        session.add(row)
        await session.flush()
        if row.mrn != "?" * 18:
            await exchange_store.audit(session, row, "exchange_rejected", None, batch=batch, reason=reason[:400])
        log.warning("exchange_message_refused", reason=reason, sender=claims.get("iss"))
