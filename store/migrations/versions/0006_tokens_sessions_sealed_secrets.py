"""Tokens with a lifecycle (id, prefix, expiry, last use, revocation), server-side console sessions, sealed
webhook secrets (the plain-text column becomes nullable; the API seals and clears it at start), and the index the
webhook sweep reads by.

Tokens from before get their id from their hash and expire 90 days after the upgrade.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("principal_id", sa.String(), nullable=False),
        sa.Column("token_id", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["principal_id"],
            ["principals.id"],
        ),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    with op.batch_alter_table("console_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_console_sessions_principal_id"), ["principal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_console_sessions_token_id"), ["token_id"], unique=False)

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("prefix", sa.String(length=8), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("revoked_by", sa.String(length=64), nullable=True))
    expires = datetime.now(UTC) + timedelta(days=90)
    op.execute(
        sa.text("UPDATE api_tokens SET id = substr(token_hash, 1, 16), expires_at = :expires").bindparams(
            sa.bindparam("expires", expires, type_=sa.DateTime(timezone=True))
        )
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column("id", existing_type=sa.String(length=16), nullable=False)
        batch_op.create_index(batch_op.f("ix_api_tokens_id"), ["id"], unique=True)

    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_deliveries_pending", ["status", "attempts", "created_at"], unique=False)

    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secret_sealed", sa.String(length=400), nullable=True))
        batch_op.alter_column("secret", existing_type=sa.VARCHAR(length=200), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.alter_column("secret", existing_type=sa.VARCHAR(length=200), nullable=False)
        batch_op.drop_column("secret_sealed")

    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_deliveries_pending")

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_id"))
        batch_op.drop_column("revoked_by")
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("prefix")
        batch_op.drop_column("id")

    with op.batch_alter_table("console_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_sessions_token_id"))
        batch_op.drop_index(batch_op.f("ix_console_sessions_principal_id"))

    op.drop_table("console_sessions")
