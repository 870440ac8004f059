"""Deployments: component and workflow versions put into rings.

Revision ID: 0003_deployments
Revises: 0002_catalog
"""

import sqlalchemy as sa
from alembic import op

from flow_platform.store.base import UTCDateTime

revision = "0003_deployments"
down_revision = "0002_catalog"
branch_labels = None
depends_on = None

_STATES = (
    "queued",
    "building",
    "deploying",
    "validating",
    "active",
    "failed",
    "rolling_back",
    "rolled_back",
    "superseded",
)


def upgrade() -> None:
    op.create_table(
        "deployments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column(
            "workspace_id",
            sa.String(36),
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("ring_id", sa.String(36), sa.ForeignKey("rings.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "component_id",
            sa.String(36),
            sa.ForeignKey("components.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("component_type", sa.String(40), nullable=False),
        sa.Column("component_name", sa.String(200), nullable=False),
        sa.Column("component_version", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("promoted_from_id", sa.String(36), nullable=True),
        sa.Column("previous_id", sa.String(36), nullable=True),
        sa.Column("artifact", sa.JSON(), nullable=True),
        sa.Column("worker_id", sa.String(200), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        *(sa.Column(f"{state}_at", UTCDateTime(), nullable=True) for state in _STATES),
    )
    op.create_index("ix_deployments_status", "deployments", ["status"])
    op.create_index("ix_deployments_ring_component", "deployments", ["ring_id", "component_type", "component_name"])


def downgrade() -> None:
    op.drop_table("deployments")
