"""Hosted services: services, versions, endpoints with frozen code, async jobs.

Revision ID: 0003_hosted_services
Revises: 0001_foundation
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from flow_platform.store.base import UTCDateTime

revision = "0003_hosted_services"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def _id_columns() -> list[sa.Column[Any]]:
    return [sa.Column("id", sa.String(36), primary_key=True), sa.Column("created_at", UTCDateTime(), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "hosted_services",
        *_id_columns(),
        sa.Column("org_id", sa.String(36), sa.ForeignKey("orgs.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column(
            "workspace_id",
            sa.String(36),
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("slug", sa.String(63), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("execution_mode", sa.String(20), nullable=False),
        sa.Column("ring_id", sa.String(36), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("workspace_id", "slug", name="uq_hosted_services_workspace_id"),
    )
    op.create_table(
        "service_versions",
        *_id_columns(),
        sa.Column(
            "service_id",
            sa.String(36),
            sa.ForeignKey("hosted_services.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("service_id", "number", name="uq_service_versions_service_id"),
    )
    op.create_table(
        "service_endpoints",
        *_id_columns(),
        sa.Column(
            "version_id",
            sa.String(36),
            sa.ForeignKey("service_versions.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("code_block_id", sa.String(36), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("entrypoint", sa.String(200), nullable=False),
        sa.Column("request_schema", sa.JSON(), nullable=True),
        sa.Column("response_schema", sa.JSON(), nullable=True),
        sa.Column("timeout_seconds", sa.Float(), nullable=False),
        sa.Column("auth_mode", sa.String(20), nullable=False),
        sa.Column("async_eligible", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("version_id", "method", "path", name="uq_service_endpoints_version_id"),
    )
    op.create_table(
        "service_jobs",
        *_id_columns(),
        sa.Column("org_id", sa.String(36), nullable=False, index=True),
        sa.Column(
            "service_id",
            sa.String(36),
            sa.ForeignKey("hosted_services.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=False),
        sa.Column("request_id", sa.String(200), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("timeout_seconds", sa.Float(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("service_id", "idempotency_key", name="uq_service_jobs_service_id"),
    )


def downgrade() -> None:
    for table in ("service_jobs", "service_endpoints", "service_versions", "hosted_services"):
        op.drop_table(table)
