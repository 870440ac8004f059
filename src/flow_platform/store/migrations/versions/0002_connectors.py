"""Connector instances and the DDL audit log.

Revision ID: 0002_connectors
Revises: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op

from flow_platform.store.base import UTCDateTime

revision = "0002_connectors"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connector_instances",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column(
            "org_id",
            sa.String(36),
            sa.ForeignKey("orgs.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "workspace_id",
            sa.String(36),
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("connector", sa.String(20), nullable=False),
        sa.Column("instance_name", sa.String(200), nullable=False),
        sa.Column("configuration", sa.JSON(), nullable=False),
        sa.Column("credentials_sealed", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("test_status", sa.String(20), nullable=True),
        sa.Column("test_message", sa.Text(), nullable=True),
        sa.Column("last_tested_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("workspace_id", "instance_name", name="uq_connector_instances_workspace_id"),
    )
    op.create_table(
        "ddl_audit",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("org_id", sa.String(36), nullable=False, index=True),
        sa.Column("workspace_id", sa.String(36), nullable=False),
        sa.Column("instance_id", sa.String(36), nullable=False, index=True),
        sa.Column("connector", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(36), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("sql", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("confirm", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(60), nullable=True),
        sa.Column("mode", sa.String(40), nullable=True),
        sa.Column("risk", sa.String(10), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("objects", sa.JSON(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ddl_audit")
    op.drop_table("connector_instances")
