"""batch_targets.target_type / target_id / target_label / inputs: a target is a session,
an acquisition, a subject or the project, and records the files the plan picked for it
(input name -> container, name, version) before anything is launched. One target per
container in a batch: the unique key moves from (batch_id, session_id) to
(batch_id, target_id), since one session holds many acquisitions.

Rows from before are session targets: target_type 'session', target_id their session.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("batch_targets") as batch:
        batch.add_column(sa.Column("target_type", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("target_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("target_label", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("inputs", sa.JSON(), nullable=True))
    op.execute(
        "UPDATE batch_targets SET target_type = 'session', target_id = session_id "
        "WHERE target_id IS NULL"
    )
    with op.batch_alter_table("batch_targets") as batch:
        batch.alter_column("target_type", existing_type=sa.String(length=20), nullable=False)
        batch.alter_column("target_id", existing_type=sa.String(length=64), nullable=False)
        batch.drop_constraint(op.f("uq_batch_targets_batch_id_session_id"), type_="unique")
        batch.create_unique_constraint(
            op.f("uq_batch_targets_batch_id_target_id"), ["batch_id", "target_id"]
        )


def downgrade() -> None:
    # Only session targets fit the old shape: the others (and their batches' rows) go.
    op.execute("DELETE FROM batch_targets WHERE target_type <> 'session'")
    with op.batch_alter_table("batch_targets") as batch:
        batch.drop_constraint(op.f("uq_batch_targets_batch_id_target_id"), type_="unique")
        batch.create_unique_constraint(
            op.f("uq_batch_targets_batch_id_session_id"), ["batch_id", "session_id"]
        )
        batch.drop_column("inputs")
        batch.drop_column("target_label")
        batch.drop_column("target_id")
        batch.drop_column("target_type")
