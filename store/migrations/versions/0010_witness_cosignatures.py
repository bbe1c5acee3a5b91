"""Witnessing: the cosignatures partner witnesses returned for our checkpoints (`audit_cosignatures`), and the
checkpoints of partners' logs this engine's witness received, cosigned or refused (`partner_checkpoints`).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "audit_cosignatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.Column("witness_name", sa.String(length=200), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tree_size", "witness_name", name="uq_audit_cosignatures_size_witness"),
    )
    op.create_index("ix_audit_cosignatures_tree_size", "audit_cosignatures", ["tree_size"])
    op.create_table(
        "partner_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("witness", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cosigned", sa.Boolean(), nullable=False),
        sa.Column("conflict", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_partner_checkpoints_log", "partner_checkpoints", ["witness", "origin", "tree_size"])


def downgrade() -> None:
    op.drop_index("ix_partner_checkpoints_log", table_name="partner_checkpoints")
    op.drop_table("partner_checkpoints")
    op.drop_index("ix_audit_cosignatures_tree_size", table_name="audit_cosignatures")
    op.drop_table("audit_cosignatures")
