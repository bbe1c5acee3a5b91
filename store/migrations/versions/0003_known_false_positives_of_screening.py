"""The register of known false positives of screening (per party and list entry, with who, why and expiry).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "screening_false_positives",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.Column("list", sa.String(length=63), nullable=False),
        sa.Column("entry_id", sa.String(length=120), nullable=False),
        sa.Column("entry_name", sa.String(length=500), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("party_name", sa.String(length=300), nullable=False),
        sa.Column("party_key", sa.String(length=300), nullable=False),
        sa.Column("party_country", sa.String(length=2), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("screening_false_positives", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_screening_false_positives_agency"), ["agency"], unique=False)
        batch_op.create_index("ix_screening_false_positives_entry", ["list", "entry_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("screening_false_positives", schema=None) as batch_op:
        batch_op.drop_index("ix_screening_false_positives_entry")
        batch_op.drop_index(batch_op.f("ix_screening_false_positives_agency"))

    op.drop_table("screening_false_positives")
