"""batch_targets.state 'cancelled' (a session `/fw cancel` kept from being launched) and
batches.proposals_before (a batch-API launch's intent, written before its proposal).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Frozen here: later code may add states.
OLD_STATES = "state IN ('planned', 'launched', 'failed', 'skipped')"
NEW_STATES = "state IN ('planned', 'launched', 'failed', 'skipped', 'cancelled')"


def upgrade() -> None:
    with op.batch_alter_table("batch_targets") as batch:
        batch.drop_constraint(op.f("ck_batch_targets_state"), type_="check")
        batch.create_check_constraint(op.f("ck_batch_targets_state"), sa.text(NEW_STATES))
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("proposals_before", sa.JSON(), nullable=True))


def downgrade() -> None:
    # A session kept from launching reads as a launch that failed, with its reason kept.
    op.execute("UPDATE batch_targets SET state = 'failed' WHERE state = 'cancelled'")
    with op.batch_alter_table("batches") as batch:
        batch.drop_column("proposals_before")
    with op.batch_alter_table("batch_targets") as batch:
        batch.drop_constraint(op.f("ck_batch_targets_state"), type_="check")
        batch.create_check_constraint(op.f("ck_batch_targets_state"), sa.text(OLD_STATES))
