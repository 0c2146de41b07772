"""batches.launch_key (the same launch asked by someone else) and cancel_requested_by /
cancel_requested_at (`/fw cancel` while a batch is still launching).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UNDER_WAY = "state IN ('launched', 'launching')"  # frozen here: later code may change


def upgrade() -> None:
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("launch_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("cancel_requested_by", sa.String(length=320), nullable=True))
        batch.add_column(
            sa.Column("cancel_requested_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.create_index("ix_batches_launch_key", ["launch_key"])
        # at most one batch under way per launch: a double confirm by two people fails
        batch.create_index(
            "uq_batches_launch_key_under_way",
            ["launch_key"],
            unique=True,
            sqlite_where=sa.text(UNDER_WAY),
            postgresql_where=sa.text(UNDER_WAY),
        )


def downgrade() -> None:
    with op.batch_alter_table("batches") as batch:
        batch.drop_index("uq_batches_launch_key_under_way")
        batch.drop_index("ix_batches_launch_key")
        batch.drop_column("cancel_requested_at")
        batch.drop_column("cancel_requested_by")
        batch.drop_column("launch_key")
