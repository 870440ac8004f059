"""Merge the feature branches into one head, so the next migration has one parent.

Revision ID: 0006_merge_heads
Revises: 0002_connectors, 0003_deployments, 0003_hosted_services, 0005_service_tokens
"""

revision = "0006_merge_heads"
down_revision = ("0002_connectors", "0003_deployments", "0003_hosted_services", "0005_service_tokens")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
