"""Our checkpoints witnessed by partners: after the publisher signs a checkpoint it sends it to each configured
witness (c2sp.org/tlog-witness `add-checkpoint`) with a consistency proof from the size that witness last
cosigned, checks the returned cosignature lines against the witness agency's registry keys and keeps them with the
checkpoint (`audit_cosignatures`). `GET /v1/audit/checkpoint` and evidence bundles append them to the note.

A witness is anything with an `agency` and `add_checkpoint(body) -> text` raising the errors below
(`adapters/witness.py`: embedded and HTTP). The publisher retries in its next round; adapters do not loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import structlog
from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store import agencies as agency_store
from store import audit_log
from store.audit_note import LogSigner, NoteError, b64, split_note, unb64, verify_cosignature
from store.db import Database, upsert
from store.models import AuditCheckpoint, AuditCosignature

log = structlog.get_logger("audit_cosign")
COSIGNATURES = AuditCosignature.__table__  # type: ignore[attr-defined]


class WitnessError(Exception):
    """A witness did not cosign."""


class WitnessUnavailable(WitnessError):
    """The witness did not answer (timeout, connection, 5xx): the next round asks again."""


class WitnessRefused(WitnessError):
    """The witness refused the checkpoint (4xx other than a stale old size): an operator must look."""

    def __init__(self, status: int, reason: str):
        super().__init__(f"{status} {reason}")
        self.status, self.reason = status, reason


class WitnessSizeConflict(WitnessError):
    """409 `text/x.tlog.size`: the witness last cosigned another size than we thought."""

    def __init__(self, tree_size: int):
        super().__init__(f"the witness last cosigned size {tree_size}")
        self.tree_size = tree_size


class Witness(Protocol):
    agency: str

    async def add_checkpoint(self, body: bytes) -> str:
        """Submit `old`, proof lines, a blank line and the note; the witness's signature lines."""
        ...


def submission(old: int, proof: Sequence[bytes], note: str) -> bytes:
    return (f"old {old}\n" + "".join(f"{b64(h)}\n" for h in proof) + "\n" + note).encode()


async def last_cosigned(session: AsyncSession, agency: str) -> int:
    query = select(func.max(COSIGNATURES.c.tree_size)).where(COSIGNATURES.c.agency == agency)
    return int((await session.exec(query)).scalar() or 0)  # type: ignore[call-overload]


async def cosignatures(session: AsyncSession, tree_size: int) -> list[AuditCosignature]:
    query = select(AuditCosignature).where(COSIGNATURES.c.tree_size == tree_size).order_by(COSIGNATURES.c.id)
    return list((await session.exec(query)).scalars().all())  # type: ignore[call-overload]


async def latest_cosigned_checkpoint(session: AsyncSession) -> AuditCheckpoint | None:
    """The newest checkpoint a witness cosigned."""
    size = (await session.exec(select(func.max(COSIGNATURES.c.tree_size)))).scalar()  # type: ignore[call-overload]
    if size is None:
        return None
    query = select(AuditCheckpoint).where(audit_log.CHECKPOINTS.c.tree_size == size)
    return (await session.exec(query)).scalars().first()  # type: ignore[call-overload,no-any-return]


def cosigned_note(checkpoint: AuditCheckpoint, lines: Sequence[AuditCosignature]) -> str:
    """The checkpoint's note with the witnesses' cosignature lines after the log's signature."""
    return checkpoint.note + "".join(f"{c.line}\n" for c in lines)


@dataclass(frozen=True)
class Cosigned:
    agency: str
    name: str
    timestamp: int
    line: str


def valid_cosignatures(text: str, body: str, agency: str, keys: Sequence[bytes]) -> list[Cosigned]:
    """The lines of a witness's answer that are cosignatures of `body` by one of the agency's keys; lines of
    unknown keys are ignored (the spec), a known key whose cosignature does not verify raises NoteError."""
    found = []
    for line in text.splitlines():
        for key in keys:
            verified = verify_cosignature(line, body, key)
            if verified is not None:
                found.append(Cosigned(agency=agency, name=verified[0], timestamp=verified[1], line=line))
                break
    return found


async def _proof(db: Database, old: int, new: int) -> list[bytes]:
    if old == 0 or old == new:
        return []
    async with db.session() as session:
        return await audit_log.consistency_proof(session, old, new)


async def request_cosignature(db: Database, witness: Witness, keys: Sequence[bytes]) -> int | None:
    """Have `witness` cosign the latest checkpoint (if it has not yet); returns the size cosigned."""
    async with db.session() as session:
        latest = await audit_log.latest_checkpoint(session)
        old = await last_cosigned(session, witness.agency)
    if latest is None or old >= latest.tree_size:
        return None
    body = split_note(latest.note)[0]
    try:
        text = await witness.add_checkpoint(submission(old, await _proof(db, old, latest.tree_size), latest.note))
    except WitnessSizeConflict as exc:  # it holds another size (our record was behind): prove from that one, once
        if not 0 <= exc.tree_size <= latest.tree_size:
            raise WitnessRefused(409, f"it cosigned size {exc.tree_size}, beyond our latest") from exc
        old = exc.tree_size
        proof = await _proof(db, old, latest.tree_size)
        text = await witness.add_checkpoint(submission(old, proof, latest.note))
    try:
        found = valid_cosignatures(text, body, witness.agency, keys)
    except NoteError as exc:
        raise WitnessRefused(200, f"its answer does not verify: {exc}") from exc
    if not found:
        raise WitnessRefused(200, "its answer holds no cosignature of a registry key of the agency")
    async with db.writer() as session:
        conn = await session.connection()
        statement = upsert(session.get_bind().dialect.name, COSIGNATURES).on_conflict_do_nothing(
            index_elements=["tree_size", "witness_name"]
        )
        for c in found:
            await conn.execute(
                statement,
                {
                    "tree_size": latest.tree_size,
                    "agency": c.agency,
                    "witness_name": c.name,
                    "line": c.line,
                    "signed_at": c.timestamp,
                    "received_at": datetime.now(UTC),
                },
            )
        await session.commit()
    log.info("audit_checkpoint_cosigned", agency=witness.agency, tree_size=latest.tree_size, old=old)
    return latest.tree_size


@dataclass(frozen=True)
class ConfiguredWitness:
    witness: Witness
    keys: tuple[bytes, ...]  # the registry keys of its agency its cosignatures must verify with


async def witness_round(db: Database, witnesses: Sequence[ConfiguredWitness]) -> None:
    """Ask every witness for its cosignature of the latest checkpoint; a failing witness is logged and asked again
    in the next round, the others go on."""
    for configured in witnesses:
        try:
            await request_cosignature(db, configured.witness, configured.keys)
        except asyncio.CancelledError:
            raise
        except WitnessRefused as exc:
            log.error("audit_witness_refused", agency=configured.witness.agency, error=str(exc))
        except Exception as exc:
            log.warning("audit_witness_failed", agency=configured.witness.agency, error=f"{type(exc).__name__}: {exc}")


async def publish_and_witness(
    db: Database, signer: LogSigner, interval: float, witnesses: Sequence[ConfiguredWitness]
) -> None:
    """The worker's publisher: a checkpoint every `interval` seconds while the log grows (outcomes sign their own
    in between), each cosigned by the configured witnesses. Runs until cancelled."""
    while True:
        try:
            await audit_log.publish_checkpoint(db, signer)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a database outage must not end the publisher; the next round retries
            log.warning("audit_checkpoint_failed", error=f"{type(exc).__name__}: {exc}")
        await witness_round(db, witnesses)
        await asyncio.sleep(interval)


# --- checking what is kept ------------------------------------------------------------------------------------


@dataclass
class CosignatureCheck:
    verified: dict[str, int]  # witness name → cosignatures that verify with its agency's registry key
    unchecked: int  # cosignatures of an agency the registry holds no key of any more
    problems: list[str]


async def check_cosignatures(session: AsyncSession, checkpoints: Sequence[AuditCheckpoint]) -> CosignatureCheck:
    """Every kept cosignature of these checkpoints against the registry keys of its witness's agency."""
    result = CosignatureCheck(verified={}, unchecked=0, problems=[])
    keys: dict[str, list[bytes]] = {}
    for checkpoint in checkpoints:
        try:
            body = split_note(checkpoint.note)[0]
        except NoteError:
            continue  # the checkpoint check names it
        for c in await cosignatures(session, checkpoint.tree_size):
            if c.agency not in keys:
                agency = await agency_store.get(session, c.agency)
                keys[c.agency] = [unb64(k.public_key) for k in agency.keys] if agency else []
            where = f"cosignature of {c.witness_name} on the checkpoint of tree size {checkpoint.tree_size}"
            try:
                verified = next(
                    (v for k in keys[c.agency] if (v := verify_cosignature(c.line, body, k)) is not None), None
                )
            except NoteError as exc:
                result.problems.append(f"{where}: {exc}")
                continue
            if verified is None:
                result.unchecked += 1
            elif verified != (c.witness_name, c.signed_at):
                result.problems.append(f"{where}: its columns differ from its signed line")
            else:
                result.verified[c.witness_name] = result.verified.get(c.witness_name, 0) + 1
    return result
