"""post_claims (each scheduled post, claimed once across replicas), batches.retry_of
(a retry batch's original) and subscriptions.timezone (when its digest goes out).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "post_claims",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_post_claims"),
    )
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("retry_of", sa.String(length=16), nullable=True))
        batch.create_index("ix_batches_retry_of", ["retry_of"])
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(
            sa.Column("timezone", sa.String(length=64), nullable=False, server_default="UTC")
        )


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("timezone")
    with op.batch_alter_table("batches") as batch:
        batch.drop_index("ix_batches_retry_of")
        batch.drop_column("retry_of")
    op.drop_table("post_claims")
