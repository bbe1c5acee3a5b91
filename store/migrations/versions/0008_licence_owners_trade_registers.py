"""Licences owned by the export-control authority that issued them (issuer agency; state active, suspended or
revoked; the clearances that named each), the representation register (which declarant may lodge for which
exporter) and the AEO register.

Licences registered before this revision are given the agency of the principal who registered them.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("licences") as batch:
        batch.add_column(sa.Column("issuer_agency", sa.String(length=40), nullable=False, server_default=""))
        batch.add_column(sa.Column("state", sa.String(length=12), nullable=False, server_default="active"))
        batch.add_column(sa.Column("state_reason", sa.String(length=2000), nullable=True))
        batch.add_column(sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("state_changed_by", sa.String(length=64), nullable=True))
        batch.create_index("ix_licences_issuer_agency", ["issuer_agency"])
    op.execute(
        "UPDATE licences SET issuer_agency = COALESCE("
        "(SELECT principals.agency FROM principals WHERE principals.id = licences.created_by), '')"
    )
    op.create_table(
        "licence_uses",
        sa.Column("licence_reference", sa.String(length=40), nullable=False),
        sa.Column("mrn", sa.String(length=18), nullable=False),
        sa.PrimaryKeyConstraint("licence_reference", "mrn"),
    )
    op.create_index("ix_licence_uses_mrn", "licence_uses", ["mrn"])
    op.create_table(
        "representations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("declarant_eori", sa.String(length=17), nullable=False),
        sa.Column("exporter_eori", sa.String(length=17), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_representations_pair", "representations", ["declarant_eori", "exporter_eori"])
    op.create_table(
        "aeo_register",
        sa.Column("eori", sa.String(length=17), nullable=False),
        sa.Column("aeo_type", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("issuing_country", sa.String(length=2), nullable=False),
        sa.Column("mra_recognised", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("eori"),
    )


def downgrade() -> None:
    op.drop_table("aeo_register")
    op.drop_index("ix_representations_pair", table_name="representations")
    op.drop_table("representations")
    op.drop_index("ix_licence_uses_mrn", table_name="licence_uses")
    op.drop_table("licence_uses")
    with op.batch_alter_table("licences") as batch:
        batch.drop_index("ix_licences_issuer_agency")
        for column in ("state_changed_by", "state_changed_at", "state_reason", "state", "issuer_agency"):
            batch.drop_column(column)
