"""An index on the clearances' updated_at: the API's watcher asks for rows changed since its last look (Prefer: wait).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("clearances", schema=None) as batch_op:
        batch_op.create_index("ix_clearances_updated", ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("clearances", schema=None) as batch_op:
        batch_op.drop_index("ix_clearances_updated")
