"""The exit of a released export is followed from the store: the worker's exit sweeper asks for the exits still
awaited past their follow-up date (`activities/exits.py`), so `export_exits` gets an index on (status,
follow_up_at).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_export_exits_due", "export_exits", ["status", "follow_up_at"])


def downgrade() -> None:
    op.drop_index("ix_export_exits_due", table_name="export_exits")
