"""API keys: the owner's email, and a kind (org keys, deploy keys).

Revision ID: 0007_surface_api_keys
Revises: 0006_merge_heads
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_surface_api_keys"
down_revision = "0006_merge_heads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("kind", sa.String(20), nullable=False, server_default="org"))
        batch.add_column(sa.Column("email", sa.String(320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("email")
        batch.drop_column("kind")
