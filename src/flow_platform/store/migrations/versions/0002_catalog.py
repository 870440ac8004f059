"""Catalog: components.

Revision ID: 0002_catalog
Revises: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op

from flow_platform.store.base import UTCDateTime

revision = "0002_catalog"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "components",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column(
            "workspace_id",
            sa.String(36),
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("component_type", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("entrypoint", sa.String(200), nullable=True),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.UniqueConstraint("workspace_id", "component_type", "name", "version", name="uq_components_workspace_id"),
    )


def downgrade() -> None:
    op.drop_table("components")
