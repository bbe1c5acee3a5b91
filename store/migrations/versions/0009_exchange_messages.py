"""Cross-border exchange: the messages between administrations (signed, with delivery states) and the exit of a
released export (confirmed, or followed up).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_messages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("mrn", sa.String(length=18), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("from_agency", sa.String(length=40), nullable=False),
        sa.Column("to_agency", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=400), nullable=True),
        sa.Column("in_reply_to", sa.String(length=36), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("jws", sa.Text(), nullable=True),
        sa.Column("signature", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", "direction"),
    )
    op.create_index("ix_exchange_messages_mrn", "exchange_messages", ["mrn", "sent_at"])
    op.create_table(
        "export_exits",
        sa.Column("mrn", sa.String(length=18), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("follow_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.String(length=64), nullable=True),
        sa.Column("office_of_exit", sa.String(length=8), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("task_id", sa.String(length=40), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("mrn"),
    )


def downgrade() -> None:
    op.drop_table("export_exits")
    op.drop_index("ix_exchange_messages_mrn", table_name="exchange_messages")
    op.drop_table("exchange_messages")
