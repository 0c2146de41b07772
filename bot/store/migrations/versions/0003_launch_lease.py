"""batches.launch_owner / launch_heartbeat: one launcher per batch across replicas.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("launch_owner", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("launch_heartbeat", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("batches") as batch:
        batch.drop_column("launch_heartbeat")
        batch.drop_column("launch_owner")
