"""Merge the per-endpoint limits with the other migrations of this wave into one head.

Revision ID: 0009_merge_limits
Revises: 0008_merge_store_surface, 0008_endpoint_limits
"""

revision = "0009_merge_limits"
down_revision = ("0008_merge_store_surface", "0008_endpoint_limits")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
