"""Async jobs: lanes, retries with an attempt log, and the endpoint's attempt limit.

Revision ID: 0007_surface_jobs
Revises: 0007_surface_skills
"""

import sqlalchemy as sa
from alembic import op

from flow_platform.store.base import UTCDateTime

revision = "0007_surface_jobs"
down_revision = "0007_surface_skills"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("service_endpoints") as batch:
        batch.add_column(sa.Column("max_attempts", sa.Integer(), nullable=False, server_default="3"))
    with op.batch_alter_table("service_jobs") as batch:
        batch.add_column(sa.Column("max_attempts", sa.Integer(), nullable=False, server_default="3"))
        batch.add_column(sa.Column("attempt_log", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("lane", sa.String(20), nullable=False, server_default="standard"))
        batch.add_column(sa.Column("retry_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("service_jobs") as batch:
        batch.drop_column("retry_at")
        batch.drop_column("lane")
        batch.drop_column("attempt_log")
        batch.drop_column("max_attempts")
    with op.batch_alter_table("service_endpoints") as batch:
        batch.drop_column("max_attempts")
