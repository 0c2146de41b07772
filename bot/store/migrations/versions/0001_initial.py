"""Initial schema: batches, batch_targets, slack_messages, subscriptions,
audit_events, identities.

Written by autogenerate, then cleaned: plain ``sa.DateTime(timezone=True)``
(the models add UTC handling in Python) so migrations never import app code.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 15:48:32.392762
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_email", sa.String(length=320), nullable=False),
        sa.Column("actor_slack_id", sa.String(length=32), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("project_label", sa.String(length=200), nullable=True),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('allowed', 'refused', 'error')", name=op.f("ck_audit_events_outcome")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_at"), "audit_events", ["at"])
    op.create_index(
        op.f("ix_audit_events_project_label_at"), "audit_events", ["project_label", "at"]
    )
    op.create_table(
        "batches",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("gear_name", sa.String(length=200), nullable=False),
        sa.Column("gear_version", sa.String(length=100), nullable=False),
        sa.Column("gear_id", sa.String(length=64), nullable=False),
        sa.Column("config_name", sa.String(length=200), nullable=True),
        sa.Column("config_hash", sa.String(length=64), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("project_label", sa.String(length=200), nullable=False),
        sa.Column("analysis_label", sa.String(length=500), nullable=False),
        sa.Column("size", sa.String(length=50), nullable=True),
        sa.Column("vm_tag", sa.String(length=200), nullable=True),
        sa.Column("requester_email", sa.String(length=320), nullable=False),
        sa.Column("requester_slack_id", sa.String(length=32), nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("approver_email", sa.String(length=320), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("launch_mode", sa.String(length=20), nullable=True),
        sa.Column("flywheel_batch_id", sa.String(length=64), nullable=True),
        sa.Column("target_count", sa.Integer(), nullable=False),
        sa.Column("skipped_count", sa.Integer(), nullable=False),
        sa.Column("complete_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("launched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary_claimed_by", sa.String(length=100), nullable=True),
        sa.Column("summary_claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary_posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "launch_mode IS NULL OR launch_mode IN ('batch-api', 'per-session')",
            name=op.f("ck_batches_launch_mode"),
        ),
        sa.CheckConstraint(
            "state IN ('planned', 'awaiting_approval', 'launching', 'launched', "
            "'cancelled', 'failed', 'complete')",
            name=op.f("ck_batches_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_batches_idempotency_key")),
    )
    op.create_index(
        op.f("ix_batches_project_label_created_at"), "batches", ["project_label", "created_at"]
    )
    op.create_index(
        op.f("ix_batches_requester_email_created_at"), "batches", ["requester_email", "created_at"]
    )
    op.create_index(op.f("ix_batches_state"), "batches", ["state"])
    op.create_table(
        "identities",
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("flywheel_user_id", sa.String(length=320), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("slack_user_id", name=op.f("pk_identities")),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("project_label", sa.String(length=200), nullable=False),
        sa.Column("gear", sa.String(length=200), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("digest_time", sa.String(length=5), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint(
            "channel",
            "project_label",
            "gear",
            name=op.f("uq_subscriptions_channel_project_label_gear"),
        ),
    )
    op.create_index(op.f("ix_subscriptions_project_label"), "subscriptions", ["project_label"])
    op.create_table(
        "batch_targets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.String(length=16), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("session_label", sa.String(length=200), nullable=False),
        sa.Column("subject_label", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("job_id", sa.String(length=64), nullable=True),
        sa.Column("analysis_id", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('planned', 'launched', 'failed', 'skipped')",
            name=op.f("ck_batch_targets_state"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["batches.id"],
            name=op.f("fk_batch_targets_batch_id_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_targets")),
        sa.UniqueConstraint(
            "batch_id", "session_id", name=op.f("uq_batch_targets_batch_id_session_id")
        ),
    )
    op.create_index(op.f("ix_batch_targets_batch_id_state"), "batch_targets", ["batch_id", "state"])
    op.create_index(op.f("ix_batch_targets_job_id"), "batch_targets", ["job_id"])
    op.create_table(
        "slack_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["batches.id"],
            name=op.f("fk_slack_messages_batch_id_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_messages")),
        sa.UniqueConstraint(
            "batch_id", "kind", "channel", name=op.f("uq_slack_messages_batch_id_kind_channel")
        ),
    )


def downgrade() -> None:
    op.drop_table("slack_messages")
    op.drop_index(op.f("ix_batch_targets_job_id"), table_name="batch_targets")
    op.drop_index(op.f("ix_batch_targets_batch_id_state"), table_name="batch_targets")
    op.drop_table("batch_targets")
    op.drop_index(op.f("ix_subscriptions_project_label"), table_name="subscriptions")
    op.drop_table("subscriptions")
    op.drop_table("identities")
    op.drop_index(op.f("ix_batches_state"), table_name="batches")
    op.drop_index(op.f("ix_batches_requester_email_created_at"), table_name="batches")
    op.drop_index(op.f("ix_batches_project_label_created_at"), table_name="batches")
    op.drop_table("batches")
    op.drop_index(op.f("ix_audit_events_project_label_at"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_at"), table_name="audit_events")
    op.drop_table("audit_events")
