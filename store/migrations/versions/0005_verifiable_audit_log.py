"""The verifiable audit log: every audit event becomes a leaf of one RFC 6962 Merkle tree (`leaf`, `leaf_index`,
`leaf_hash`, `prev_hash` on `audit_events`), with the tree's complete subtrees, its head and signed checkpoints.

Events recorded before this revision are logged in (MRN, sequence) order, each chained to its clearance's previous
event, with the leaf encoding the README documents (frozen here, so later changes to the code leave this as it ran).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

EVENTS = sa.table(
    "audit_events",
    sa.column("mrn", sa.String),
    sa.column("seq", sa.Integer),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("kind", sa.String),
    sa.column("actor", sa.String),
    sa.column("detail", sa.JSON),
    sa.column("leaf_index", sa.BigInteger),
    sa.column("leaf_hash", sa.LargeBinary),
    sa.column("prev_hash", sa.LargeBinary),
    sa.column("leaf", sa.Text),
)
NODES = sa.table("audit_log_nodes", sa.column("level"), sa.column("idx"), sa.column("hash", sa.LargeBinary))
HEAD = sa.table("audit_log_head", sa.column("id"), sa.column("tree_size"), sa.column("frontier", sa.LargeBinary))


def _rfc3339(at: datetime | str) -> str:
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _leaf(index: int, row: Any, prev_hash: bytes | None) -> bytes:
    fields = {
        "leaf_index": index,
        "mrn": row.mrn,
        "seq": row.seq,
        "at": _rfc3339(row.at),
        "kind": row.kind,
        "actor": row.actor,
        "detail": row.detail,
        "prev_hash": base64.b64encode(prev_hash).decode() if prev_hash is not None else None,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _backfill() -> None:
    """Log the existing events and build the tree's complete subtrees and frontier (RFC 6962 hashing)."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(EVENTS.c.mrn, EVENTS.c.seq, EVENTS.c.at, EVENTS.c.kind, EVENTS.c.actor, EVENTS.c.detail).order_by(
            EVENTS.c.mrn, EVENTS.c.seq
        )
    ).all()
    updates: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    stack: list[tuple[int, bytes]] = []  # (level, hash) of the complete subtrees so far, left to right
    prev: dict[str, bytes] = {}
    for index, row in enumerate(rows):
        leaf = _leaf(index, row, prev.get(row.mrn))
        hashed = hashlib.sha256(b"\x00" + leaf).digest()
        updates.append(
            {
                "b_mrn": row.mrn,
                "b_seq": row.seq,
                "leaf_index": index,
                "leaf_hash": hashed,
                "prev_hash": prev.get(row.mrn),
                "leaf": leaf.decode(),
            }
        )
        prev[row.mrn] = hashed
        nodes.append({"level": 0, "idx": index, "hash": hashed})
        level, value, size = 0, hashed, index + 1
        while stack and stack[-1][0] == level:
            _, left = stack.pop()
            value, level = hashlib.sha256(b"\x01" + left + value).digest(), level + 1
            nodes.append({"level": level, "idx": (size >> level) - 1, "hash": value})
        stack.append((level, value))
    if updates:
        conn.execute(
            EVENTS.update()
            .where(EVENTS.c.mrn == sa.bindparam("b_mrn"), EVENTS.c.seq == sa.bindparam("b_seq"))
            .values(
                leaf_index=sa.bindparam("leaf_index"),
                leaf_hash=sa.bindparam("leaf_hash"),
                prev_hash=sa.bindparam("prev_hash"),
                leaf=sa.bindparam("leaf"),
            ),
            updates,
        )
        conn.execute(NODES.insert(), nodes)
        conn.execute(HEAD.insert(), [{"id": 1, "tree_size": len(rows), "frontier": b"".join(h for _, h in stack)}])


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tree_size"),
    )
    op.create_table(
        "audit_log_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "audit_log_nodes",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx"),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("leaf_index", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column("leaf", sa.Text(), nullable=True))
    _backfill()
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("leaf_index", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("leaf_hash", existing_type=sa.LargeBinary(length=32), nullable=False)
        batch_op.alter_column("leaf", existing_type=sa.Text(), nullable=False)
        batch_op.create_index("ix_audit_events_chain", ["mrn", "leaf_index"], unique=False)
        batch_op.create_unique_constraint("uq_audit_events_leaf_index", ["leaf_index"])


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_audit_events_leaf_index", type_="unique")
        batch_op.drop_index("ix_audit_events_chain")
        batch_op.drop_column("leaf")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("leaf_hash")
        batch_op.drop_column("leaf_index")
    op.drop_table("audit_log_nodes")
    op.drop_table("audit_log_head")
    op.drop_table("audit_checkpoints")
