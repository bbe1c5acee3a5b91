"""This engine as a witness of partners' logs: c2sp.org/tlog-witness `add-checkpoint`.

A submission is `old <size>`, up to 63 consistency-proof lines (base64), a blank line and the checkpoint note. The
checkpoint must carry a valid signature, named with its origin, of a key the agency registry holds (the key id binds
the origin to the key: SHA-256(origin ‖ 0x0A ‖ 0x01 ‖ key)[:4]); the agency holding that key owns the log. The
witness then checks, atomically with keeping the new state, that `old` is the size it last cosigned for the origin
and that the checkpoint extends that tree (RFC 6962 consistency proof), keeps the checkpoint and returns its
`cosignature/v1` line. Statuses as the spec says: 404 unknown origin, 403 no valid signature, 400 old > size, 409
(body `<size>\\n`, `text/x.tlog.size`) when `old` is not the size it cosigned, 409 for the same size with another
root, 422 when the proof does not verify. The last two are evidence of a forked log: the refused checkpoint is kept
with its conflict, an alert is logged and an audit event `witness_conflict` is appended to this engine's own log
(trail `WITNESS-ALERTS`, sequence = the kept row's id).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import func, select, text
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.clearance import AuditEvent
from store import agencies as agency_store
from store import audit_log
from store import audit_merkle as merkle
from store.audit_note import (
    Checkpoint,
    Cosigner,
    NoteError,
    b64,
    key_id,
    parse_checkpoint,
    signature_parts,
    split_note,
    unb64,
)
from store.db import Database
from store.models import PartnerCheckpoint

log = structlog.get_logger("witness")

WITNESS_TRAIL = "WITNESS-ALERTS"  # the audit trail of witness conflicts in this engine's own log
MAX_PROOF_LINES = 63
MAX_SUBMISSION_BYTES = 64 * 1024
OLD_LINE = re.compile(r"^old (0|[1-9][0-9]{0,18})$")
SIZE_CONTENT_TYPE = "text/x.tlog.size"


@dataclass(frozen=True)
class TrustedKey:
    """A log key a witness accepts: an Ed25519 key of an agency in the registry."""

    agency: str
    public_key: bytes


@dataclass(frozen=True)
class Submission:
    old_size: int
    proof: list[bytes]
    note: str


class WitnessRefusal(Exception):
    """Why the witness does not cosign; `status` as tlog-witness says, `tree_size` with a 409 for a stale `old`."""

    def __init__(self, status: int, message: str, *, loc: list[str] | None = None, tree_size: int | None = None):
        super().__init__(message)
        self.status, self.message, self.loc, self.tree_size = status, message, loc, tree_size


def parse_submission(body: bytes) -> Submission:
    if len(body) > MAX_SUBMISSION_BYTES:
        raise WitnessRefusal(413, f"a submission is at most {MAX_SUBMISSION_BYTES} bytes")
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WitnessRefusal(422, "the body is not UTF-8", loc=["body"]) from exc
    head, sep, note = decoded.partition("\n\n")
    if not sep or not note:
        raise WitnessRefusal(422, "expected `old <size>`, proof lines, a blank line and the checkpoint", loc=["body"])
    lines = head.split("\n")
    match = OLD_LINE.match(lines[0])
    if match is None:
        raise WitnessRefusal(422, "the first line must be `old <size>` (decimal, no zero padding)", loc=["body", "old"])
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise WitnessRefusal(422, f"at most {MAX_PROOF_LINES} consistency proof lines", loc=["body", "proof"])
    proof: list[bytes] = []
    for n, line in enumerate(lines[1:]):
        try:
            hashed = unb64(line)
        except ValueError:
            hashed = b""
        if len(hashed) != 32:
            raise WitnessRefusal(422, "a proof line is one SHA-256 hash in base64", loc=["body", "proof", str(n)])
        proof.append(hashed)
    old = int(match.group(1))
    if old == 0 and proof:
        raise WitnessRefusal(422, "the proof must be empty when the old size is 0", loc=["body", "proof"])
    return Submission(old_size=old, proof=proof, note=note)


def _checkpoint_of(note: str) -> tuple[Checkpoint, str, list[str]]:
    """The checkpoint, the note's whole body (extension lines included: the cosigned message) and its lines."""
    try:
        body, lines = split_note(note)
    except NoteError as exc:
        raise WitnessRefusal(422, str(exc), loc=["body", "checkpoint"]) from exc
    rows = body.split("\n")
    try:
        checkpoint = Checkpoint(origin=rows[0], tree_size=int(rows[1]), root_hash=unb64(rows[2]))
    except (IndexError, ValueError) as exc:
        raise WitnessRefusal(422, "a checkpoint has an origin, a tree size and a root hash", loc=["body"]) from exc
    if not checkpoint.origin or checkpoint.tree_size < 0 or len(checkpoint.root_hash) != 32:
        raise WitnessRefusal(422, "a checkpoint has an origin, a tree size and a root hash", loc=["body"])
    return checkpoint, body, lines


def _signer(note: str, origin: str, lines: list[str], trusted: list[TrustedKey]) -> TrustedKey | None:
    """The trusted key whose signature of the note verifies; None when no line carries a trusted key's id."""
    claimed = False
    for line in lines:
        try:
            name, blob = signature_parts(line)
        except NoteError:
            continue
        if name != origin:
            continue  # another signer's line (a cosignature): ignored, as the spec says
        for key in trusted:
            if blob[:4] != key_id(origin, key.public_key):
                continue
            claimed = True
            try:
                parse_checkpoint(note, origin, key.public_key)
            except NoteError:
                continue
            return key
    if claimed:
        raise WitnessRefusal(403, f"the signature of {origin} does not verify against its registry key")
    return None


async def trusted_keys(session: AsyncSession, *, excluding: str | None = None) -> list[TrustedKey]:
    """Every Ed25519 key of the registry's agencies (but `excluding`'s: an engine does not witness its own log)."""
    found = []
    for agency in await agency_store.all_agencies(session):
        if agency.id == excluding:
            continue
        for key in agency.keys:
            try:
                raw = unb64(key.public_key)
            except ValueError:
                continue
            if key.alg == "EdDSA" and len(raw) == 32:
                found.append(TrustedKey(agency=agency.id, public_key=raw))
    return found


async def _lock_log(session: AsyncSession, witness: str, origin: str) -> None:
    """Serialise check-and-keep per log: a transaction-scoped advisory lock on PostgreSQL; on SQLite the database's
    writer lock (`Database.writer`) already does."""
    if session.get_bind().dialect.name == "postgresql":
        await session.exec(text("SELECT pg_advisory_xact_lock(hashtext(:k))").bindparams(k=f"{witness}\n{origin}"))  # type: ignore[call-overload]


async def _latest_cosigned(session: AsyncSession, witness: str, origin: str) -> PartnerCheckpoint | None:
    t = PartnerCheckpoint.__table__  # type: ignore[attr-defined]
    query = (
        select(PartnerCheckpoint)
        .where(t.c.witness == witness, t.c.origin == origin, t.c.cosigned.is_(True))
        .order_by(t.c.tree_size.desc(), t.c.id.desc())
        .limit(1)
    )
    return (await session.exec(query)).scalars().first()  # type: ignore[call-overload,no-any-return]


async def _owner(session: AsyncSession, witness: str, origin: str) -> str | None:
    t = PartnerCheckpoint.__table__  # type: ignore[attr-defined]
    query = select(func.min(t.c.agency)).where(t.c.witness == witness, t.c.origin == origin)
    return (await session.exec(query)).scalar()  # type: ignore[call-overload,no-any-return]


async def _keep_conflict(
    session: AsyncSession,
    *,
    witness: str,
    checkpoint: Checkpoint,
    agency: str,
    note: str,
    kept: PartnerCheckpoint,
    conflict: str,
    actor: str | None,
    now: datetime,
) -> None:
    row = PartnerCheckpoint(
        witness=witness,
        origin=checkpoint.origin,
        agency=agency,
        tree_size=checkpoint.tree_size,
        root_hash=checkpoint.root_hash,
        note=note,
        received_at=now,
        cosigned=False,
        conflict=conflict,
    )
    session.add(row)
    await session.flush()
    detail = {
        "witness": witness,
        "origin": checkpoint.origin,
        "agency": agency,
        "tree_size": checkpoint.tree_size,
        "root_hash": b64(checkpoint.root_hash),
        "cosigned_tree_size": kept.tree_size,
        "cosigned_root_hash": b64(kept.root_hash),
        "conflict": conflict,
    }
    assert row.id is not None
    await audit_log.append(
        session, WITNESS_TRAIL, [AuditEvent(seq=row.id, at=now, kind="witness_conflict", actor=actor, detail=detail)]
    )
    await session.commit()
    log.error("witness_conflict", **detail)  # the alert: a partner's log showed two views


async def add_checkpoint(
    db: Database,
    submission: Submission,
    *,
    cosigner: Cosigner,
    trusted: list[TrustedKey],
    may_submit: Callable[[str], str | None] | None = None,
    actor: str | None = None,
    now: datetime | None = None,
) -> str:
    """Check a submission and return the cosignature line (with its newline); raises WitnessRefusal.
    `may_submit(agency)` names why the caller may not submit the log of `agency` (the API's policy), or None."""
    now = now or datetime.now(UTC)
    checkpoint, body, lines = _checkpoint_of(submission.note)
    origin, witness = checkpoint.origin, cosigner.name
    if submission.old_size > checkpoint.tree_size:
        raise WitnessRefusal(400, f"old size {submission.old_size} exceeds the checkpoint's {checkpoint.tree_size}")
    async with db.writer() as session:
        key = _signer(submission.note, origin, lines, trusted)
        owner = await _owner(session, witness, origin)
        if key is None:
            if owner is None:
                raise WitnessRefusal(404, f"unknown log origin {origin!r}: no registry key signs it")
            raise WitnessRefusal(403, f"no signature of a registry key of {owner} for {origin}")
        if owner is not None and owner != key.agency:
            raise WitnessRefusal(403, f"{origin} is the log of {owner}, not of {key.agency}")
        if may_submit is not None and (reason := may_submit(key.agency)):
            raise WitnessRefusal(403, reason)
        await _lock_log(session, witness, origin)
        kept = await _latest_cosigned(session, witness, origin)
        kept_size = kept.tree_size if kept is not None else 0
        if submission.old_size != kept_size:
            raise WitnessRefusal(409, f"{witness} last cosigned {origin} at size {kept_size}", tree_size=kept_size)
        conflict: tuple[int, str] | None = None
        if kept is not None and checkpoint.tree_size == kept.tree_size:
            if submission.proof:
                raise WitnessRefusal(422, "the proof must be empty for the same size", loc=["body", "proof"])
            if checkpoint.root_hash != kept.root_hash:
                conflict = (409, f"size {kept.tree_size} signed with another root hash than the one cosigned")
        elif kept is not None and not merkle.verify_consistency(
            kept.tree_size, checkpoint.tree_size, kept.root_hash, checkpoint.root_hash, submission.proof
        ):
            conflict = (422, f"the tree of size {checkpoint.tree_size} does not extend the cosigned {kept.tree_size}")
        if conflict is not None:
            assert kept is not None
            await _keep_conflict(
                session,
                witness=witness,
                checkpoint=checkpoint,
                agency=key.agency,
                note=submission.note,
                kept=kept,
                conflict=conflict[1],
                actor=actor,
                now=now,
            )
            raise WitnessRefusal(conflict[0], f"{origin}: {conflict[1]}", loc=["body", "proof"])
        session.add(
            PartnerCheckpoint(
                witness=witness,
                origin=origin,
                agency=key.agency,
                tree_size=checkpoint.tree_size,
                root_hash=checkpoint.root_hash,
                note=submission.note,
                received_at=now,
                cosigned=True,
            )
        )
        line = cosigner.cosign(body, int(now.timestamp()))
        await session.commit()  # kept before the cosignature leaves (the spec: persist before responding)
    log.info("witness_cosigned", witness=witness, origin=origin, agency=key.agency, tree_size=checkpoint.tree_size)
    return line + "\n"


async def kept_checkpoints(db: Database, *, witness: str, origin: str | None = None) -> list[PartnerCheckpoint]:
    t = PartnerCheckpoint.__table__  # type: ignore[attr-defined]
    query = select(PartnerCheckpoint).where(t.c.witness == witness)
    if origin is not None:
        query = query.where(t.c.origin == origin)
    async with db.session() as session:
        return list((await session.exec(query.order_by(t.c.id))).scalars().all())  # type: ignore[call-overload]


async def partner_logs(db: Database, *, witness: str) -> list[dict[str, Any]]:
    """Each partner log this witness has seen: its agency, the checkpoint it last cosigned, how many it kept, and
    every refused one with its conflict (the alerts)."""
    logs: dict[str, dict[str, Any]] = {}
    for row in await kept_checkpoints(db, witness=witness):
        entry = logs.setdefault(
            row.origin, {"origin": row.origin, "agency": row.agency, "cosigned": None, "received": 0, "conflicts": []}
        )
        entry["received"] += 1
        seen = {"tree_size": row.tree_size, "root_hash": b64(row.root_hash), "received_at": row.received_at}
        if not row.cosigned:
            entry["conflicts"].append({**seen, "conflict": row.conflict})
        elif entry["cosigned"] is None or row.tree_size >= entry["cosigned"]["tree_size"]:
            entry["cosigned"] = seen
    return list(logs.values())
