"""Checking the audit log: the whole database against its signed checkpoints (`verify_database`), and a
clearance's evidence bundle without a database (`export_bundle`, `verify_bundle`).

The database check recomputes every leaf from its row and the tree from the leaves, and names the first row that
was edited (its columns or leaf differ from what was appended), deleted (a leaf index missing), reordered (a row
sitting at another leaf than it was appended as) or inserted (a row the log never appended), then checks every
chain link, the stored subtrees, and every checkpoint's signature and root, and every partner witness's cosignature
of a checkpoint against that witness agency's registry key. A bundle carries the cosigned note and the witnesses'
keys; its cosignatures are checked like its checkpoint.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store import agencies as agency_store
from store import audit_cosign, audit_log
from store import audit_merkle as merkle
from store.audit_note import (
    LogSigner,
    NoteError,
    b64,
    cosignature_key_id,
    key_id,
    parse_checkpoint,
    split_note,
    unb64,
    verify_cosignature,
)
from store.db import Database

BUNDLE_FORMAT = "clearance-audit-bundle/1"
COLUMNS = ("mrn", "seq", "at", "kind", "actor", "detail", "prev_hash")


@dataclass
class Problem:
    kind: str  # edited | deleted | reordered | inserted | chain | tree | checkpoint
    message: str
    leaf_index: int | None = None
    mrn: str | None = None
    seq: int | None = None

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


@dataclass
class Report:
    events: int = 0
    tree_size: int = 0
    checkpoints: int = 0
    unsigned: int = 0  # events after the latest checkpoint: the next one signs them
    problems: list[Problem] = field(default_factory=list)
    cosigned: dict[str, int] = field(default_factory=dict)  # witness name → verified cosignatures
    cosignatures_unchecked: int = 0  # of a witness agency the registry holds no key of

    @property
    def ok(self) -> bool:
        return not self.problems


def _row_name(row: Any) -> str:
    return f"event {row.seq} of {row.mrn} at leaf {row.leaf_index}"


def _columns_of(row: Any) -> dict[str, Any]:
    return audit_log.leaf_fields(
        leaf_index=row.leaf_index,
        mrn=row.mrn,
        seq=row.seq,
        at=row.at,
        kind=row.kind,
        actor=row.actor,
        detail=row.detail,
        prev_hash=bytes(row.prev_hash) if row.prev_hash is not None else None,
    )


def _check_row(row: Any, position: int, stored: bytes | None, following: Any | None) -> tuple[bytes, Problem | None]:
    """The leaf hash of the row at `position` and what is wrong with it, if anything."""
    leaf_bytes = row.leaf.encode()
    computed = merkle.leaf_hash(leaf_bytes)
    name = _row_name(row)

    def problem(kind: str, message: str) -> Problem:
        return Problem(kind, message, row.leaf_index, row.mrn, row.seq)

    try:
        leaf = json.loads(leaf_bytes)
        appended_as = int(leaf["leaf_index"])
    except (ValueError, KeyError, TypeError):
        return computed, problem("edited", f"{name}: its leaf is not the log's JSON")
    if appended_as != position:
        if appended_as == position + 1:
            return computed, Problem(
                "deleted", f"leaf {position} is missing (the rows after it were renumbered)", position
            )
        if appended_as == position - 1:
            return computed, problem(
                "inserted", f"a row was inserted before {name}, which was appended as leaf {appended_as}"
            )
        return computed, problem("reordered", f"{name} was appended as leaf {appended_as}")
    columns = _columns_of(row)
    changed = [c for c in COLUMNS if columns[c] != leaf.get(c)]
    if changed:
        return computed, problem("edited", f"{name}: {', '.join(changed)} differ from the logged leaf")
    if computed != bytes(row.leaf_hash):
        return computed, problem("edited", f"{name}: its leaf hash is not the hash of its leaf")
    if stored is None:
        return computed, problem("inserted", f"{name} was never appended to the log (no leaf {position} in the tree)")
    if stored != computed:
        nxt = json.loads(following.leaf).get("leaf_index") if following is not None else None
        if nxt == position:
            return computed, problem("inserted", f"{name} is not the leaf the log appended there: it was inserted")
        return computed, problem("edited", f"{name} is not the leaf the log appended at {position}")
    return computed, None


async def _rows(session: AsyncSession) -> list[Any]:
    e, n = audit_log.EVENTS, audit_log.NODES
    query = (
        select(e, n.c.hash.label("node_hash"))
        .select_from(e.outerjoin(n, and_(n.c.level == 0, n.c.idx == e.c.leaf_index)))
        .order_by(e.c.leaf_index)
    )
    return list((await session.exec(query)).all())  # type: ignore[call-overload]


def _check_chains(rows: list[Any], hashes: list[bytes]) -> Problem | None:
    last: dict[str, bytes] = {}
    seen: dict[bytes, Any] = {}
    for row, computed in zip(rows, hashes, strict=True):
        prev = bytes(row.prev_hash) if row.prev_hash is not None else None
        expected = last.get(row.mrn)
        if prev != expected:
            earlier = seen.get(prev) if prev is not None else None
            if earlier is not None and earlier.mrn == row.mrn:
                what = f"follows event {earlier.seq} at leaf {earlier.leaf_index}, not the clearance's latest"
                return Problem("reordered", f"{_row_name(row)} {what}", row.leaf_index, row.mrn, row.seq)
            return Problem(
                "deleted",
                f"the event before {_row_name(row)} in its clearance's chain is missing",
                row.leaf_index,
                row.mrn,
                row.seq,
            )
        last[row.mrn] = computed
        seen[computed] = row
    return None


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    levels = [leaves]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([merkle.node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return levels


def _root(levels: list[list[bytes]], size: int) -> bytes:
    return merkle.root_from_frontier([levels[level][idx] for level, idx in merkle.frontier_nodes(size)])


async def verify_database(db: Database, *, name: str, public_key: bytes) -> Report:
    """Check the log in `db` against checkpoints signed by (`name`, `public_key`)."""
    report = Report()
    async with db.session() as session:
        rows = await _rows(session)
        size = await audit_log.tree_size(session)
        signed = await audit_log.checkpoints(session)
        cosigned = await audit_cosign.check_cosignatures(session, signed)
        stored_nodes = (await session.exec(select(audit_log.NODES).where(audit_log.NODES.c.level > 0))).all()  # type: ignore[call-overload]
    report.events, report.tree_size, report.checkpoints = len(rows), size, len(signed)
    hashes: list[bytes] = []
    first: Problem | None = None
    expected = 0
    for i, row in enumerate(rows):
        if row.leaf_index != expected and first is None:
            gap = row.leaf_index - expected
            missing = f"leaves {expected}..{row.leaf_index - 1} are" if gap > 1 else f"leaf {expected} is"
            first = Problem("deleted", f"{missing} missing (before {_row_name(row)})", expected)
        expected = row.leaf_index + 1
        stored = bytes(row.node_hash) if row.node_hash is not None else None
        computed, problem = _check_row(row, row.leaf_index, stored, rows[i + 1] if i + 1 < len(rows) else None)
        hashes.append(computed)
        first = first or problem
    if first is None and len(rows) > size:
        extra = rows[size]
        first = Problem(
            "inserted", f"{_row_name(extra)} lies beyond the log's size {size}", extra.leaf_index, extra.mrn, extra.seq
        )
    if first is None and len(rows) < size:
        first = Problem("deleted", f"the log holds {size} leaves, the database {len(rows)}: the last were deleted")
    first = first or _check_chains(rows, hashes)
    if first is not None:
        report.problems.append(first)
    levels = _levels(hashes)
    if not report.problems:
        for node in stored_nodes:
            level, idx = int(node.level), int(node.idx)
            if level >= len(levels) or idx >= len(levels[level]) or levels[level][idx] != bytes(node.hash):
                lo, hi = idx << level, ((idx + 1) << level) - 1
                report.problems.append(Problem("tree", f"the stored subtree over leaves {lo}..{hi} was changed"))
                break
    good = 0
    for checkpoint in signed:
        where = f"checkpoint of tree size {checkpoint.tree_size}"
        try:
            parsed = parse_checkpoint(checkpoint.note, name, public_key)
        except NoteError as exc:
            report.problems.append(Problem("checkpoint", f"{where}: {exc}"))
            continue
        if (parsed.tree_size, parsed.root_hash, parsed.origin) != (
            checkpoint.tree_size,
            bytes(checkpoint.root_hash),
            name,
        ):
            report.problems.append(Problem("checkpoint", f"{where}: its columns differ from its signed note"))
        elif parsed.tree_size > len(hashes):
            report.problems.append(
                Problem("deleted", f"{where} signs {parsed.tree_size} events but the database holds {len(hashes)}")
            )
        elif _root(levels, parsed.tree_size) != parsed.root_hash:
            report.problems.append(
                Problem("checkpoint", f"{where}: leaves {good}..{parsed.tree_size - 1} differ from what was signed")
            )
        else:
            good = parsed.tree_size
    report.unsigned = max(0, len(hashes) - good)
    report.cosigned, report.cosignatures_unchecked = cosigned.verified, cosigned.unchecked
    report.problems.extend(Problem("cosignature", p) for p in cosigned.problems)
    return report


# --- evidence bundles ----------------------------------------------------------------------------------------


async def export_bundle(db: Database, mrn: str, signer: LogSigner) -> dict[str, Any]:
    """Every logged event of the clearance with its inclusion proof against the latest witnessed checkpoint when
    that holds all of them, else a fresh (or the latest) one. An MRN with no logged event is refused before
    anything is published."""
    async with db.session() as session:
        logged = await audit_log.trail(session, mrn)
        if not logged:
            raise LookupError(f"no logged event of clearance {mrn}")
        latest = await audit_cosign.latest_cosigned_checkpoint(session)
    if latest is None or latest.tree_size <= logged[-1].leaf_index:
        await audit_log.publish_checkpoint(db, signer, reason="export")
        latest = None
    async with db.session() as session:
        latest = latest or await audit_log.latest_checkpoint(session)
        if latest is None:
            raise LookupError("the log has no checkpoint")
        trail = [e for e in await audit_log.trail(session, mrn) if e.leaf_index < latest.tree_size]
        if not trail:
            raise LookupError(f"no logged event of clearance {mrn}")
        events = []
        for event in trail:
            path = await audit_log.inclusion_proof(session, event.leaf_index, latest.tree_size)
            events.append(
                {
                    "seq": event.seq,
                    "leaf_index": event.leaf_index,
                    "leaf": b64(event.leaf.encode()),
                    "leaf_hash": b64(bytes(event.leaf_hash)),
                    "proof": [b64(h) for h in path],
                }
            )
        cosigned = await audit_cosign.cosignatures(session, latest.tree_size)
        witnesses = await _witness_keys(session, cosigned, split_note(latest.note)[0])
    return {
        "format": BUNDLE_FORMAT,
        "mrn": mrn,
        "origin": latest.origin,
        "public_key": b64(bytes(latest.public_key)),
        "key_id": key_id(latest.origin, bytes(latest.public_key)).hex(),
        "checkpoint": {
            "tree_size": latest.tree_size,
            "root_hash": b64(bytes(latest.root_hash)),
            "note": audit_cosign.cosigned_note(latest, cosigned),
        },
        "witnesses": witnesses,
        "events": events,
    }


async def _witness_keys(session: AsyncSession, cosigned: list[Any], body: str) -> list[dict[str, str]]:
    """The registry key each cosignature verifies with, for the bundle (as the bundle carries the log's key)."""
    found = []
    for c in cosigned:
        agency = await agency_store.get(session, c.agency)
        for key in agency.keys if agency else []:
            raw = unb64(key.public_key)
            try:
                if verify_cosignature(c.line, body, raw) is not None:
                    found.append({"agency": c.agency, "name": c.witness_name, "public_key": key.public_key})
                    break
            except NoteError:
                continue
    return found


def bundle_cosignatures(bundle: dict[str, Any], trusted: dict[str, bytes] | None = None) -> tuple[list[str], list[str]]:
    """(names of the witnesses whose cosignature in the bundle's note verifies, problems). `trusted` (witness name →
    key) replaces the keys the bundle carries and requires each of those witnesses to have cosigned."""
    keys = dict(trusted) if trusted else {}
    if not trusted:
        for w in bundle.get("witnesses", []):
            try:
                keys[w["name"]] = unb64(w["public_key"])
            except (KeyError, TypeError, ValueError):
                return [], [f"a malformed witness entry {w!r}"]
    try:
        body, lines = split_note(bundle["checkpoint"]["note"])
    except (KeyError, TypeError, NoteError) as exc:
        return [], [f"the bundle's note: {exc}"]
    verified: list[str] = []
    problems: list[str] = []
    for name, key in keys.items():
        who = f"witness {name} (key id {cosignature_key_id(name, key).hex()})"
        results = []
        for line in lines:
            try:
                results.append(verify_cosignature(line, body, key))
            except NoteError as exc:
                problems.append(f"{who}: {exc}")
                results.append(None)
        if any(r is not None and r[0] == name for r in results):
            verified.append(name)
        elif not any(p.startswith(who) for p in problems):
            problems.append(f"{who}: no cosignature of it in the note")
    return verified, problems


def verify_bundle(
    bundle: dict[str, Any], *, trusted_key: bytes | None = None, trusted_witnesses: dict[str, bytes] | None = None
) -> list[str]:
    """What is wrong with an evidence bundle (empty when it verifies); needs no database. Cosignatures are checked
    with the witnesses' keys the bundle carries, or with `trusted_witnesses` (each of which must have cosigned)."""
    try:
        if bundle.get("format") != BUNDLE_FORMAT:
            return [f"not a {BUNDLE_FORMAT} bundle"]
        public_key = unb64(bundle["public_key"])
        if trusted_key is not None and public_key != trusted_key:
            return ["the bundle is signed with another key than the trusted one"]
        checkpoint = parse_checkpoint(bundle["checkpoint"]["note"], bundle["origin"], public_key)
    except (KeyError, TypeError, ValueError) as exc:  # NoteError is a ValueError
        return [f"the bundle's checkpoint does not verify: {exc}"]
    problems: list[str] = []
    previous: bytes | None = None
    for n, entry in enumerate(sorted(bundle.get("events", []), key=lambda e: e.get("leaf_index", -1))):
        where = f"event {entry.get('seq')} (leaf {entry.get('leaf_index')})"
        try:
            leaf = base64.b64decode(entry["leaf"], validate=True)
            proof = [unb64(h) for h in entry["proof"]]
            fields = json.loads(leaf)
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"{where}: malformed ({exc})")
            continue
        hashed = merkle.leaf_hash(leaf)
        if b64(hashed) != entry.get("leaf_hash"):
            problems.append(f"{where}: its leaf hash is not the hash of its leaf")
        if not merkle.verify_inclusion(entry["leaf_index"], checkpoint.tree_size, hashed, proof, checkpoint.root_hash):
            problems.append(f"{where}: its inclusion proof does not lead to the signed root")
        if (fields.get("mrn"), fields.get("seq"), fields.get("leaf_index")) != (
            bundle["mrn"],
            entry.get("seq"),
            entry["leaf_index"],
        ):
            problems.append(f"{where}: its leaf names another event")
        if fields.get("prev_hash") != (b64(previous) if previous is not None else None):
            problems.append(f"{where}: it does not follow the bundle's previous event (chain {n})")
        previous = hashed
    if not bundle.get("events"):
        problems.append("the bundle holds no event")
    problems.extend(bundle_cosignatures(bundle, trusted_witnesses)[1])
    return problems
