"""Endpoints as agent tools, and the skill snapshot frozen with each published version.

Revision ID: 0007_surface_skills
Revises: 0007_surface_api_keys
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_surface_skills"
down_revision = "0007_surface_api_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("service_endpoints") as batch:
        batch.add_column(sa.Column("expose_as_agent_tool", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("tool_description", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("service_versions") as batch:
        batch.add_column(sa.Column("skill_snapshot", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("service_versions") as batch:
        batch.drop_column("skill_snapshot")
    with op.batch_alter_table("service_endpoints") as batch:
        batch.drop_column("tool_description")
        batch.drop_column("expose_as_agent_tool")
