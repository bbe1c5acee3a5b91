"""The transparency log of audit events: every event is a leaf of one append-only RFC 6962 Merkle tree.

Appending (inside the transaction that writes the events) first updates the single head row, which serialises
leaf-index assignment across processes on PostgreSQL (row lock) and SQLite (the writer lock) alike, then skips
events already logged (a retried activity appends nothing twice: keyed on (MRN, seq)), chains each new event to
its clearance's previous one, stores its leaf and the complete subtrees it finishes, and moves the head on.
An outcome appended with a signer registered for the database publishes a signed checkpoint in the same
transaction. Proofs read only the O(log n) stored subtrees they need.

Leaf encoding (the README documents it for verifiers): canonical JSON, UTF-8, keys sorted, no spaces,
`{"actor", "at", "detail", "kind", "leaf_index", "mrn", "prev_hash", "seq"}` with `at` RFC 3339 UTC
(microseconds, `Z`) and `prev_hash` standard base64 or null.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import structlog
from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.clearance import AuditEvent
from store import audit_merkle as merkle
from store import fastsql
from store.audit_note import Checkpoint, LogSigner, b64
from store.db import Database, upsert
from store.models import AuditCheckpoint, AuditLogHead, AuditLogNode, AuditRecord

log = structlog.get_logger("audit_log")

EVENTS = AuditRecord.__table__  # type: ignore[attr-defined]
NODES = AuditLogNode.__table__  # type: ignore[attr-defined]
HEAD = AuditLogHead.__table__  # type: ignore[attr-defined]
CHECKPOINTS = AuditCheckpoint.__table__  # type: ignore[attr-defined]
HEAD_ID = 1
# Events that end a clearance: appending one publishes a checkpoint, so the outcome is signed at once.
OUTCOME_KINDS = frozenset({"outcome", "invalidated"})

_signers: dict[str, LogSigner] = {}


def use_signer(db: Database, signer: LogSigner) -> None:
    """Register the log key of this process for `db`: outcomes appended through it publish checkpoints."""
    _signers[str(db.engine.url)] = signer


def _signer_for(session: AsyncSession) -> LogSigner | None:
    return _signers.get(str(session.get_bind().engine.url))


# --- the leaf ------------------------------------------------------------------------------------------------


def rfc3339(at: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.ffffffZ`, UTC (a naive datetime is taken as UTC): part of the leaf, so never changed."""
    at = at if at.tzinfo is None else at.astimezone(UTC).replace(tzinfo=None)
    if at.year < 1000:  # isoformat pads the year to four digits, strftime does not: keep the leaf bytes as they were
        return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return at.isoformat(timespec="microseconds") + "Z"  # the same text, at a third of strftime's cost


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def leaf_fields(
    *,
    leaf_index: int,
    mrn: str,
    seq: int,
    at: datetime,
    kind: str,
    actor: str | None,
    detail: Any,
    prev_hash: bytes | None,
) -> dict[str, Any]:
    return {
        "leaf_index": leaf_index,
        "mrn": mrn,
        "seq": seq,
        "at": rfc3339(at),
        "kind": kind,
        "actor": actor,
        "detail": detail,
        "prev_hash": b64(prev_hash) if prev_hash is not None else None,
    }


# --- appending -----------------------------------------------------------------------------------------------


def _split_frontier(blob: bytes) -> list[bytes]:
    return [blob[i : i + 32] for i in range(0, len(blob), 32)]


def _lock(*also: Any) -> Any:
    """An update of the head row that changes nothing: it takes the row's lock (PostgreSQL) or the writer lock
    (SQLite) for the rest of the transaction and returns the tree's state."""
    return (
        update(HEAD)
        .where(HEAD.c.id == HEAD_ID)
        .values(tree_size=HEAD.c.tree_size)
        .returning(HEAD.c.tree_size, HEAD.c.frontier, *also)
    )


@lru_cache
def _statements(dialect: str) -> dict[str, Any]:
    return {
        "lock": _lock(),
        # The lock that also reads what the append needs: how many of the batch are logged, the chain's last hash.
        "lock_for_append": _lock(
            select(EVENTS.c.leaf_hash)
            .where(EVENTS.c.mrn == bindparam("mrn"))
            .order_by(EVENTS.c.leaf_index.desc())
            .limit(1)
            .scalar_subquery()
            .label("last_hash"),
            select(func.count())
            .select_from(EVENTS)
            .where(EVENTS.c.mrn == bindparam("mrn"), EVENTS.c.seq.in_(bindparam("seqs", expanding=True)))
            .scalar_subquery()
            .label("logged"),
        ),
        "create_head": upsert(dialect, HEAD).on_conflict_do_nothing(index_elements=["id"]),
        "move_head": update(HEAD).where(HEAD.c.id == HEAD_ID),
        "events": insert(EVENTS),
        "nodes": insert(NODES),
        "checkpoint": upsert(dialect, CHECKPOINTS).on_conflict_do_nothing(index_elements=["tree_size"]),
    }


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def _locked(session: AsyncSession, name: str, params: dict[str, Any] | None = None) -> Any:
    # Core statements on the session's own connection (same transaction): the ORM's execute path cost more CPU
    # than the statements themselves.
    statements = _statements(_dialect(session))
    row = await fastsql.first(session, statements[name], params)
    if row is None:  # the log's first write
        await fastsql.execute(session, statements["create_head"], {"id": HEAD_ID, "tree_size": 0, "frontier": b""})
        row = await fastsql.first(session, statements[name], params)
    return row


async def lock_head(session: AsyncSession) -> tuple[int, list[bytes]]:
    """Take the log's write lock for this transaction; returns the tree size and its frontier."""
    row = await _locked(session, "lock")
    return int(row[0]), _split_frontier(bytes(row[1]))


async def append(session: AsyncSession, mrn: str, events: Sequence[AuditEvent]) -> int:
    """Log the clearance's events not logged yet, in the given order; returns how many were appended. Runs in
    the caller's transaction (the caller commits)."""
    if not events:
        return 0
    statements = _statements(_dialect(session))
    head = await _locked(session, "lock_for_append", {"mrn": mrn, "seqs": [e.seq for e in events]})
    size, frontier = int(head.tree_size), _split_frontier(bytes(head.frontier))
    prev_hash = bytes(head.last_hash) if head.last_hash is not None else None
    logged: set[int] = set()
    if head.logged:  # a retry: some (usually all) of the batch is in the log already
        known = await (await session.connection()).execute(
            select(EVENTS.c.seq).where(EVENTS.c.mrn == mrn, EVENTS.c.seq.in_([e.seq for e in events]))
        )
        logged = {seq for (seq,) in known.all()}
    rows: list[dict[str, Any]] = []
    leaves: list[bytes] = []
    for event in events:
        if event.seq in logged:
            continue
        logged.add(event.seq)
        text = json.dumps(event.detail, default=str)  # stored as this text: the JSON column does not dump it again
        detail = json.loads(text)
        index = size + len(rows)
        leaf = canonical_json(
            leaf_fields(
                leaf_index=index,
                mrn=mrn,
                seq=event.seq,
                at=event.at,
                kind=event.kind,
                actor=event.actor,
                detail=detail,
                prev_hash=prev_hash,
            )
        )
        hashed = merkle.leaf_hash(leaf)
        rows.append(
            {
                "mrn": mrn,
                "seq": event.seq,
                "at": event.at,
                "kind": event.kind,
                "actor": event.actor,
                "detail": fastsql.Json(text),
                "leaf_index": index,
                "leaf_hash": hashed,
                "prev_hash": prev_hash,
                "leaf": leaf.decode(),
            }
        )
        leaves.append(hashed)
        prev_hash = hashed
    if not rows:
        return 0
    new_size, new_frontier, created = merkle.append_leaves(size, frontier, leaves)
    await fastsql.execute(session, statements["events"], rows)
    await fastsql.execute(
        session, statements["nodes"], [{"level": lv, "idx": idx, "hash": h} for (lv, idx), h in created]
    )
    await fastsql.execute(session, statements["move_head"], {"tree_size": new_size, "frontier": b"".join(new_frontier)})
    signer = _signer_for(session)
    if signer is not None and any(r["kind"] in OUTCOME_KINDS for r in rows):
        await _store_checkpoint(session, signer, new_size, merkle.root_from_frontier(new_frontier), "outcome")
    return len(rows)


# --- checkpoints ---------------------------------------------------------------------------------------------


async def _store_checkpoint(session: AsyncSession, signer: LogSigner, size: int, root: bytes, reason: str) -> None:
    checkpoint = Checkpoint(origin=signer.name, tree_size=size, root_hash=root)
    await fastsql.execute(  # Core in the session's transaction, as the append's statements
        session,
        _statements(_dialect(session))["checkpoint"],
        {
            "tree_size": size,
            "root_hash": root,
            "origin": signer.name,
            "note": signer.sign(checkpoint),
            "public_key": signer.public_key,
            "reason": reason,
            "published_at": datetime.now(UTC),
        },
    )


async def latest_checkpoint(session: AsyncSession) -> AuditCheckpoint | None:
    query = select(AuditCheckpoint).order_by(CHECKPOINTS.c.tree_size.desc()).limit(1)
    return (await session.exec(query)).scalars().first()  # type: ignore[call-overload,no-any-return]


async def checkpoints(session: AsyncSession) -> list[AuditCheckpoint]:
    query = select(AuditCheckpoint).order_by(CHECKPOINTS.c.tree_size)
    return list((await session.exec(query)).scalars().all())  # type: ignore[call-overload]


async def publish_checkpoint(db: Database, signer: LogSigner, reason: str = "interval") -> int | None:
    """Sign the tree as it is now if it grew since the latest checkpoint (or none exists); returns the size."""
    async with db.writer() as session:
        size, frontier = await lock_head(session)
        latest = await latest_checkpoint(session)
        if latest is not None and latest.tree_size >= size:
            await session.rollback()
            return None
        await _store_checkpoint(session, signer, size, merkle.root_from_frontier(frontier), reason)
        await session.commit()
    log.debug("audit_checkpoint_published", tree_size=size, reason=reason)
    return size


# --- reading and proving -------------------------------------------------------------------------------------


async def tree_size(session: AsyncSession) -> int:
    row = (await session.exec(select(HEAD.c.tree_size).where(HEAD.c.id == HEAD_ID))).first()  # type: ignore[call-overload]
    return int(row[0]) if row else 0


async def event(session: AsyncSession, mrn: str, seq: int) -> AuditRecord | None:
    return await session.get(AuditRecord, (mrn, seq))


async def trail(session: AsyncSession, mrn: str) -> list[AuditRecord]:
    """The clearance's logged events in the chain's order."""
    query = select(AuditRecord).where(EVENTS.c.mrn == mrn).order_by(EVENTS.c.leaf_index)
    return list((await session.exec(query)).scalars().all())  # type: ignore[call-overload]


async def fetch_nodes(session: AsyncSession, nodes: Iterable[merkle.Node]) -> dict[merkle.Node, bytes]:
    by_level: dict[int, list[int]] = {}
    for level, idx in nodes:
        by_level.setdefault(level, []).append(idx)
    if not by_level:
        return {}
    condition = or_(*(and_(NODES.c.level == level, NODES.c.idx.in_(ids)) for level, ids in by_level.items()))
    rows = await session.exec(select(NODES.c.level, NODES.c.idx, NODES.c.hash).where(condition))  # type: ignore[call-overload]
    return {(int(level), int(idx)): bytes(h) for level, idx, h in rows.all()}


class TreeSizeError(ValueError):
    """A tree size the log cannot prove against."""


async def _prove(session: AsyncSession, ranges: list[tuple[int, int]], size: int) -> list[bytes]:
    """The proof's hashes in one read; the last leaf of the tree of `size` is read too, so a size beyond the
    log is refused without another query."""
    nodes = await fetch_nodes(session, merkle.nodes_for(ranges) | {(0, size - 1)})
    if (0, size - 1) not in nodes:
        raise TreeSizeError(f"the log has fewer than {size} leaves")
    try:
        return merkle.proof_hashes(ranges, nodes)
    except KeyError as exc:  # a stored subtree is missing: the log's tables were changed
        raise RuntimeError(f"the log has no stored subtree {exc.args[0]}") from exc


async def inclusion_proof(session: AsyncSession, leaf_index: int, size: int) -> list[bytes]:
    if not 0 <= leaf_index < size:
        raise TreeSizeError(f"leaf {leaf_index} is not in the tree of size {size}")
    return await _prove(session, merkle.inclusion_ranges(leaf_index, size), size)


async def consistency_proof(session: AsyncSession, old: int, new: int) -> list[bytes]:
    if not 0 < old <= new:
        raise TreeSizeError("sizes must satisfy 0 < from <= to")
    return await _prove(session, merkle.consistency_ranges(old, new), new)


async def root_at(session: AsyncSession, size: int) -> bytes:
    """MTH of the first `size` leaves, from the stored subtrees."""
    if size == 0:
        return merkle.EMPTY_ROOT
    nodes = await fetch_nodes(session, merkle.range_nodes(0, size))
    return merkle.range_hash(0, size, nodes)
