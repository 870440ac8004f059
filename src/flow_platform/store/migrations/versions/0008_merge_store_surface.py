"""Merge the secret verifier and the documented-surface migrations into one head.

Revision ID: 0008_merge_store_surface
Revises: 0007_store_secret_verifier, 0007_surface_jobs
"""

revision = "0008_merge_store_surface"
down_revision = ("0007_store_secret_verifier", "0007_surface_jobs")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
