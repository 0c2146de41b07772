"""linked_accounts: a person's own Flywheel API key, encrypted at rest (issue 18), so what
they do through fwbot talks to Flywheel as them.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "linked_accounts",
        sa.Column("principal", sa.String(length=340), nullable=False),
        sa.Column("flywheel_user_id", sa.String(length=320), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("site", sa.String(length=300), nullable=False),
        sa.Column("key_ciphertext", sa.Text(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("principal", name=op.f("pk_linked_accounts")),
    )
    op.create_index(
        op.f("ix_linked_accounts_flywheel_user_id"), "linked_accounts", ["flywheel_user_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_linked_accounts_flywheel_user_id"), table_name="linked_accounts")
    op.drop_table("linked_accounts")
