"""Platform facts, among them a verifier of the master secret the database was created with.

Revision ID: 0007_store_secret_verifier
Revises: 0006_merge_heads
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_store_secret_verifier"
down_revision = "0006_merge_heads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The verifier row itself is written by the first process that starts with a secret
    # (store/secret_check.py): a migration has no secret to derive it from.
    op.create_table(
        "platform_meta",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("platform_meta")
