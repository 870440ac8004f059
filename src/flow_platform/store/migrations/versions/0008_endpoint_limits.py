"""Per-endpoint sandbox limits and the outbound-network opt-in.

Revision ID: 0008_endpoint_limits
Revises: 0007_store_secret_verifier
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_endpoint_limits"
down_revision = "0007_store_secret_verifier"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot drop a column in place on downgrade.
    with op.batch_alter_table("service_endpoints") as batch:
        batch.add_column(sa.Column("limits", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("network", sa.String(20), nullable=False, server_default="none"))


def downgrade() -> None:
    with op.batch_alter_table("service_endpoints") as batch:
        batch.drop_column("network")
        batch.drop_column("limits")
