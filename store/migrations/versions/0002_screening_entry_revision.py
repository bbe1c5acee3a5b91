"""Screening list entries keep the list revision that added or last changed them, and a content hash.

Reviewed after autogenerate: the new NOT NULL columns get server defaults, so rows already in the table take
revision 0 (older than any import, so the next import compares them) and an empty hash (differs from any real one).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 21:37:30.933967
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("screening_list_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=False, server_default=""))
        batch_op.create_index("ix_screening_list_entries_list_revision", ["list", "revision"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("screening_list_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_screening_list_entries_list_revision")
        batch_op.drop_column("content_hash")
        batch_op.drop_column("revision")
