"""Service tokens: revocations, per-service cutoffs and the revocation counter.

Revision ID: 0005_service_tokens
Revises: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op

from flow_platform.store.base import UTCDateTime

revision = "0005_service_tokens"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_token_revocations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
        sa.Column("service_id", sa.String(36), nullable=False, index=True),
        sa.Column("jti", sa.String(64), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("revoked_by", sa.String(36), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False, index=True),
        sa.UniqueConstraint("service_id", "jti", name="uq_service_token_revocations_service_id"),
    )
    op.create_table(
        "service_token_cutoffs",
        sa.Column("service_id", sa.String(36), primary_key=True),
        sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
        sa.Column("cutoff_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("revoked_by", sa.String(36), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False, index=True),
    )
    counter = op.create_table(
        "service_token_revocation_counter",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(counter, [{"id": 1, "version": 0}])


def downgrade() -> None:
    for table in ("service_token_revocation_counter", "service_token_cutoffs", "service_token_revocations"):
        op.drop_table(table)
