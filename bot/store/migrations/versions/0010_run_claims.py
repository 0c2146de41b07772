"""run_claims and batches.rerun (issue 19): one claim per run (gear, version, config,
inputs, target), so two batches, or two replicas, never launch the same run twice; and
what a batch launches again on purpose (`rerun`, or a config's `skip: none`).

Batches launched before this revision hold no claims: their runs are in Flywheel, where
the planner sees them, and a batch still launching claims its targets when its launch
resumes.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("rerun", sa.String(length=10), nullable=True))
    op.create_table(
        "run_claims",
        sa.Column("run_key", sa.String(length=64), nullable=False),
        sa.Column("batch_id", sa.String(length=16), nullable=False),
        sa.Column("target_key", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["batches.id"],
            name=op.f("fk_run_claims_batch_id_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_key", name=op.f("pk_run_claims")),
    )
    op.create_index(op.f("ix_run_claims_batch_id"), "run_claims", ["batch_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_run_claims_batch_id"), table_name="run_claims")
    op.drop_table("run_claims")
    with op.batch_alter_table("batches") as batch:
        batch.drop_column("rerun")
