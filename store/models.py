"""Tables. Quantities are stored in thousandths and money in cents (integers), so licence balances stay exact
on SQLite and PostgreSQL alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, LargeBinary, SmallInteger, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def json_column() -> Any:
    return Field(default=None, sa_column=Column(JSON))


# --- principals ------------------------------------------------------------------------------------------


class AgencyRecord(SQLModel, table=True):
    """An administration in the registry (`reference/agencies.yaml`, `domain.agencies`): customs, an
    export-control authority or a partner customs administration; `countries` those it acts for, `keys` the
    public Ed25519 keys its signed messages are verified with."""

    __tablename__ = "agencies"
    id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(max_length=20)
    country: str = Field(max_length=2)
    name: str = Field(max_length=140)
    countries: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    keys: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    endpoint: str | None = Field(default=None, max_length=400)
    updated_at: datetime = Field(default_factory=utcnow)


class Principal(SQLModel, table=True):
    __tablename__ = "principals"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=140)
    agency: str = Field(max_length=40)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    eori: str | None = Field(default=None, max_length=17)
    created_at: datetime = Field(default_factory=utcnow)


class ApiToken(SQLModel, table=True):
    """A bearer token, stored as its SHA-256; `id` is the first 16 hex digits of that hash (public: listed, and
    computable by whoever holds the token), `prefix` the token's first characters, to recognise it."""

    __tablename__ = "api_tokens"
    token_hash: str = Field(primary_key=True, max_length=64)
    id: str = Field(max_length=16, unique=True, index=True)
    prefix: str = Field(default="", max_length=8)
    principal_id: str = Field(foreign_key="principals.id", index=True)
    label: str = Field(default="", max_length=80)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = Field(default=None, max_length=64)


class ConsoleSession(SQLModel, table=True):
    """A console sign-in: the cookie holds a random session id, the table its SHA-256. Signing out deletes the
    row; revoking the token it was opened with ends it too."""

    __tablename__ = "console_sessions"
    id_hash: str = Field(primary_key=True, max_length=64)
    principal_id: str = Field(foreign_key="principals.id", index=True)
    token_id: str = Field(max_length=16, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    last_seen_at: datetime = Field(default_factory=utcnow)


# --- SOP catalogue ---------------------------------------------------------------------------------------


class SopVersionRecord(SQLModel, table=True):
    __tablename__ = "sop_versions"
    name: str = Field(primary_key=True, max_length=63)
    version: int = Field(primary_key=True)
    hash: str = Field(max_length=64)
    definition: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    published_at: datetime = Field(default_factory=utcnow)
    published_by: str = Field(default="catalogue", max_length=64)


# --- export-control reference data -----------------------------------------------------------------------


class ControlListRule(SQLModel, table=True):
    """Commodity-code prefix → control-list entry; the longest matching prefix classifies a goods item."""

    __tablename__ = "control_list_rules"
    commodity_prefix: str = Field(primary_key=True, max_length=10)
    control_code: str = Field(max_length=24)
    description: str = Field(default="", max_length=400)


class Embargo(SQLModel, table=True):
    __tablename__ = "embargoes"
    country: str = Field(primary_key=True, max_length=2)
    regime: str = Field(max_length=200)
    scope: str = Field(default="all", max_length=20)  # all | controlled


class ScreeningList(SQLModel, table=True):
    __tablename__ = "screening_lists"
    name: str = Field(primary_key=True, max_length=63)
    revision: int = Field(default=1)
    entry_count: int = Field(default=0)
    imported_at: datetime = Field(default_factory=utcnow)
    imported_by: str = Field(default="", max_length=64)


class ScreeningListEntry(SQLModel, table=True):
    """One listed party. `revision` is the list revision whose import added or last changed the entry, and
    `content_hash` fingerprints what identifies it, so a re-import can tell new and changed entries (delta
    screening) from unchanged ones."""

    __tablename__ = "screening_list_entries"
    __table_args__ = (Index("ix_screening_list_entries_list_revision", "list", "revision"),)
    list: str = Field(primary_key=True, max_length=63)
    entry_id: str = Field(primary_key=True, max_length=120)
    name: str = Field(max_length=500)
    revision: int = Field(default=0)
    content_hash: str = Field(default="", max_length=64)
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class Licence(SQLModel, table=True):
    __tablename__ = "licences"
    reference: str = Field(primary_key=True, max_length=40)
    holder_eori: str = Field(index=True, max_length=17)
    destinations: list[str] = Field(sa_column=Column(JSON, nullable=False))
    valid_from: date
    valid_until: date
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=64)
    # The export-control authority that issued it (the agency of the officer who registered it): only its officers
    # amend, suspend, reinstate or revoke it. `state`: active, suspended or revoked (suspended and revoked licences
    # deplete nothing).
    issuer_agency: str = Field(default="", max_length=40, index=True)
    state: str = Field(default="active", max_length=12)
    state_reason: str | None = Field(default=None, max_length=2000)
    state_changed_at: datetime | None = None
    state_changed_by: str | None = Field(default=None, max_length=64)


class Representation(SQLModel, table=True):
    """The representation register: declarant `declarant_eori` may lodge for exporter `exporter_eori`, directly
    (in the exporter's name) or indirectly (in its own name, for the exporter), from `valid_from` until
    `valid_until` (None: open-ended). Removed entries stay, with `removed_at`, for the audit trail."""

    __tablename__ = "representations"
    __table_args__ = (Index("ix_representations_pair", "declarant_eori", "exporter_eori"),)
    id: str = Field(primary_key=True, max_length=36)
    declarant_eori: str = Field(max_length=17)
    exporter_eori: str = Field(max_length=17)
    kind: str = Field(max_length=10)
    valid_from: date
    valid_until: date | None = None
    agency: str = Field(max_length=40)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=64)
    removed_at: datetime | None = None
    removed_by: str | None = Field(default=None, max_length=64)


class AeoRegistration(SQLModel, table=True):
    """The AEO register: an authorised economic operator (EORI), its authorisation type (AEOC customs
    simplifications, AEOS security and safety, AEOF both), status, issuing country, and whether it is a partner
    country's AEO recognised here under a mutual-recognition agreement."""

    __tablename__ = "aeo_register"
    eori: str = Field(primary_key=True, max_length=17)
    aeo_type: str = Field(max_length=4)
    status: str = Field(max_length=12)
    issuing_country: str = Field(max_length=2)
    mra_recognised: bool = False
    updated_at: datetime = Field(default_factory=utcnow)


class LicenceItem(SQLModel, table=True):
    __tablename__ = "licence_items"
    __table_args__ = (UniqueConstraint("licence_reference", "line"),)
    id: int | None = Field(default=None, primary_key=True)
    licence_reference: str = Field(foreign_key="licences.reference", index=True)
    line: int
    control_code: str = Field(max_length=24, index=True)
    commodity_code: str | None = Field(default=None, max_length=10)
    quantity_unit: str | None = Field(default=None, max_length=8)
    quantity_milli: int | None = Field(default=None, sa_column=Column(BigInteger))
    remaining_quantity_milli: int | None = Field(default=None, sa_column=Column(BigInteger))
    value_currency: str | None = Field(default=None, max_length=3)
    value_cents: int | None = Field(default=None, sa_column=Column(BigInteger))
    remaining_value_cents: int | None = Field(default=None, sa_column=Column(BigInteger))


class LicenceUse(SQLModel, table=True):
    """A clearance that named a licence in its declaration (document X002 and the like), whether or not it
    depleted it: the clearance's agency may read that licence."""

    __tablename__ = "licence_uses"
    licence_reference: str = Field(primary_key=True, max_length=40)
    mrn: str = Field(primary_key=True, max_length=18, index=True)


class LicenceDepletion(SQLModel, table=True):
    """One row per goods item of a clearance: the unique key is what makes depletion happen exactly once."""

    __tablename__ = "licence_depletions"
    __table_args__ = (UniqueConstraint("mrn", "item_sequence"),)
    id: int | None = Field(default=None, primary_key=True)
    licence_reference: str = Field(foreign_key="licences.reference", index=True)
    line: int
    mrn: str = Field(max_length=18, index=True)
    item_sequence: int
    quantity_milli: int | None = Field(default=None, sa_column=Column(BigInteger))
    value_cents: int | None = Field(default=None, sa_column=Column(BigInteger))
    depleted_at: datetime = Field(default_factory=utcnow)
    restored_at: datetime | None = None
    restore_reason: str | None = Field(default=None, max_length=400)


# --- read models and audit -------------------------------------------------------------------------------


class ClearanceRecord(SQLModel, table=True):
    __tablename__ = "clearances"
    __table_args__ = (
        Index("ix_clearances_listing", "accepted_at", "mrn"),
        Index("ix_clearances_declarant", "declarant_eori", "accepted_at"),
        Index("ix_clearances_updated", "updated_at"),  # what changed since: the API's watcher of waiting requests
        Index("ix_clearances_agency_listing", "agency", "accepted_at", "mrn"),  # an agency's page, newest first
    )
    mrn: str = Field(primary_key=True, max_length=18)
    workflow_id: str = Field(max_length=64)
    lrn: str = Field(max_length=22)
    declarant_eori: str = Field(max_length=17)
    agency: str = Field(max_length=40)
    status: str = Field(max_length=20, index=True)
    stage: str = Field(max_length=40)
    lane: str | None = Field(default=None, max_length=8)
    outcome: str | None = Field(default=None, max_length=16)
    sop_name: str = Field(max_length=63)
    sop_version: int
    accepted_at: datetime
    updated_at: datetime
    revision: int
    view: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class TaskRecord(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_inbox", "agency", "state", "role"),)
    id: str = Field(primary_key=True, max_length=40)
    mrn: str = Field(max_length=18, index=True)
    workflow_id: str = Field(max_length=80)
    kind: str = Field(max_length=32)
    role: str = Field(max_length=32)
    agency: str = Field(max_length=40)
    state: str = Field(max_length=16)
    assignee: str | None = Field(default=None, max_length=64)
    due_at: datetime
    created_at: datetime
    version: int
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class AuditRecord(SQLModel, table=True):
    """One audit event and its leaf of the transparency log (`store.audit_log`): `leaf` is the exact leaf
    (canonical JSON, UTF-8), `leaf_index` its position in the one global tree, `prev_hash` the leaf hash of the same
    clearance's previous event."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_chain", "mrn", "leaf_index"),)
    mrn: str = Field(primary_key=True, max_length=18)
    seq: int = Field(primary_key=True)
    at: datetime
    kind: str = Field(max_length=40)
    actor: str | None = Field(default=None, max_length=64)
    detail: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    leaf_index: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    leaf_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    prev_hash: bytes | None = Field(default=None, sa_column=Column(LargeBinary(32), nullable=True))
    leaf: str = Field(sa_column=Column(Text, nullable=False))


class AuditLogNode(SQLModel, table=True):
    """A complete subtree of the log: the hash over leaves [idx * 2**level, (idx + 1) * 2**level); level 0 holds
    the leaf hashes. Proofs are read from these rows."""

    __tablename__ = "audit_log_nodes"
    level: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


class AuditLogHead(SQLModel, table=True):
    """The single row (id 1) every append updates in its transaction: it serialises leaf-index assignment
    across processes and keeps the tree's frontier (the complete subtrees of the size's binary decomposition,
    concatenated 32-byte hashes), so an append or a checkpoint needs no other read of the tree."""

    __tablename__ = "audit_log_head"
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    tree_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    frontier: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class AuditCheckpoint(SQLModel, table=True):
    """A signed checkpoint of the log (C2SP signed note) with the public key that signed it."""

    __tablename__ = "audit_checkpoints"
    id: int | None = Field(default=None, primary_key=True)
    tree_size: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    root_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    origin: str = Field(max_length=200)
    note: str = Field(sa_column=Column(Text, nullable=False))
    public_key: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    reason: str = Field(max_length=16)  # interval | outcome | export | manual
    published_at: datetime = Field(default_factory=utcnow)


class AuditCosignature(SQLModel, table=True):
    """A partner witness's cosignature (c2sp.org/tlog-cosignature, Ed25519 `cosignature/v1`) of one of our signed
    checkpoints: `line` is the note signature line as the witness returned it, `signed_at` its timestamp."""

    __tablename__ = "audit_cosignatures"
    __table_args__ = (UniqueConstraint("tree_size", "witness_name", name="uq_audit_cosignatures_size_witness"),)
    id: int | None = Field(default=None, primary_key=True)
    tree_size: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    agency: str = Field(max_length=40)  # the witness's agency in the registry
    witness_name: str = Field(max_length=200)
    line: str = Field(sa_column=Column(Text, nullable=False))
    signed_at: int = Field(sa_column=Column(BigInteger, nullable=False))  # POSIX seconds, as signed
    received_at: datetime = Field(default_factory=utcnow)


class PartnerCheckpoint(SQLModel, table=True):
    """A checkpoint a partner's log sent this engine's witness (`store/witness.py`): kept whether cosigned or
    refused as inconsistent (`conflict` says why: the evidence of a forked log, an alert)."""

    __tablename__ = "partner_checkpoints"
    __table_args__ = (Index("ix_partner_checkpoints_log", "witness", "origin", "tree_size"),)
    id: int | None = Field(default=None, primary_key=True)
    witness: str = Field(max_length=200)  # the witness name that received it (an engine may run several)
    origin: str = Field(max_length=200)
    agency: str = Field(max_length=40)  # whose registry key signed it
    tree_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    root_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(default_factory=utcnow)
    cosigned: bool = False
    conflict: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class DocumentRecord(SQLModel, table=True):
    __tablename__ = "documents"
    mrn: str = Field(primary_key=True, max_length=18)
    kind: str = Field(primary_key=True, max_length=40)
    issued_at: datetime
    html: str = Field(sa_column=Column(Text, nullable=False))


# --- notifications to agencies ---------------------------------------------------------------------------


class WebhookSubscription(SQLModel, table=True):
    """An agency's (or one declarant's) endpoint for clearance events; bodies are signed with the secret, stored
    sealed (AES-GCM, store/secrets.py) in `secret_sealed`. `secret` is only the plain text of rows from before
    (sealed and cleared at the API's start)."""

    __tablename__ = "webhook_subscriptions"
    id: str = Field(primary_key=True, max_length=36)
    agency: str = Field(max_length=40, index=True)
    declarant_eori: str | None = Field(default=None, max_length=17, index=True)
    url: str = Field(max_length=2000)
    secret: str | None = Field(default=None, max_length=200)
    secret_sealed: str | None = Field(default=None, max_length=400)
    events: list[str] = Field(sa_column=Column(JSON, nullable=False))
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(max_length=64)


class WebhookDelivery(SQLModel, table=True):
    """One event for one subscription; its id is derived from both, so planning it twice is a no-op."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_subscription", "subscription_id", "created_at"),
        Index("ix_webhook_deliveries_pending", "status", "attempts", "created_at"),
    )
    id: str = Field(primary_key=True, max_length=120)
    subscription_id: str = Field(max_length=36)
    event: str = Field(max_length=40)
    mrn: str = Field(max_length=18)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=12)  # pending | delivered | failed
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None


# --- known false positives of screening ------------------------------------------------------------------


class KnownFalsePositive(SQLModel, table=True):
    """An officer's finding that a party is not the listed entry it resembles. Screening suppresses that entry's
    match for that party while the entry's content hash, the party's normalised name and country are as recorded
    here, until it expires or is revoked; creation and revocation stay on the row (the register is its own audit)."""

    __tablename__ = "screening_false_positives"
    __table_args__ = (Index("ix_screening_false_positives_entry", "list", "entry_id"),)
    id: str = Field(primary_key=True, max_length=40)
    agency: str = Field(max_length=40, index=True)
    list: str = Field(max_length=63)
    entry_id: str = Field(max_length=120)
    entry_name: str = Field(max_length=500)
    entry_hash: str = Field(max_length=64)
    party_name: str = Field(max_length=300)
    party_key: str = Field(max_length=300)  # the normalised name screening compares
    party_country: str | None = Field(default=None, max_length=2)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    revoked_by: str | None = Field(default=None, max_length=64)
    revoked_at: datetime | None = None
    revoke_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


# --- cross-border exchange --------------------------------------------------------------------------------


class ExchangeMessage(SQLModel, table=True):
    """A message between administrations (`domain.exchange`), as sent (`out`) or received (`in`): the signed JWS
    exactly as it travelled, its payload (the agreed data set), its delivery state and the verified signature. One
    engine hosting both ends (the embedded partner) keeps both rows, hence the key (id, direction)."""

    __tablename__ = "exchange_messages"
    __table_args__ = (Index("ix_exchange_messages_mrn", "mrn", "sent_at"),)
    id: str = Field(primary_key=True, max_length=36)
    direction: str = Field(primary_key=True, max_length=3)
    mrn: str = Field(max_length=18)
    kind: str = Field(max_length=32)
    from_agency: str = Field(max_length=40)
    to_agency: str = Field(max_length=40)
    status: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=400)
    in_reply_to: str | None = Field(default=None, max_length=36)
    sent_at: datetime
    received_at: datetime | None = None
    acknowledged_at: datetime | None = None
    attempts: int = 0
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    jws: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    signature: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


@dataclass(slots=True)
class MessageRow:
    """An `ExchangeMessage` as it is built in memory (`adapters.exchange_rows`): the same columns, read by
    attribute the same way, without the ORM's instrumentation (an ExchangeMessage cost ~60 µs to build). A release
    to an embedded partner inserts its four through Core (`store.exchange.insert_prepared`); the rest become ORM
    instances when stored (`store.exchange.add`)."""

    id: str
    direction: str
    mrn: str
    kind: str
    from_agency: str
    to_agency: str
    status: str
    sent_at: datetime
    payload: dict[str, Any]
    signature: dict[str, Any]
    reason: str | None = None
    in_reply_to: str | None = None
    received_at: datetime | None = None
    acknowledged_at: datetime | None = None
    attempts: int = 0
    jws: str | None = None


class ExportExit(SQLModel, table=True):
    """Whether a released export has left: started with a release's outcome (`record_outcome`), confirmed by
    customs (`api/service/exchange.py`) or settled by its follow-up (`ExportExchange`, `workflows/exchange.py`)."""

    __tablename__ = "export_exits"
    __table_args__ = (Index("ix_export_exits_due", "status", "follow_up_at"),)
    mrn: str = Field(primary_key=True, max_length=18)
    status: str = Field(max_length=16)
    follow_up_at: datetime | None = None
    confirmed_at: datetime | None = None
    confirmed_by: str | None = Field(default=None, max_length=64)
    office_of_exit: str | None = Field(default=None, max_length=8)
    note: str | None = Field(default=None, max_length=2000)
    task_id: str | None = Field(default=None, max_length=40)
    updated_at: datetime = Field(default_factory=utcnow)
