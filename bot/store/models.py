"""SQLAlchemy 2 table models. Internal to the store: repositories map rows to
frozen records so no live ORM object leaves a session.

Constraint names follow one naming convention so Alembic migrations and the
models agree exactly (a test compares them). States are plain strings with
CHECK constraints rather than native enums: adding a state later is a one-line
migration on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from bot.domain import UNDER_WAY_STATES, BatchState, LaunchMode, TargetState

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

AUDIT_OUTCOMES = ("allowed", "refused", "error")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out. SQLite keeps no offset, so naive values
    read back are UTC by construction; naive values written are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _in(column: str, values: tuple[str, ...] | list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


UNDER_WAY_SQL = _in("state", sorted(s.value for s in UNDER_WAY_STATES))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}


class BatchRow(Base):
    __tablename__ = "batches"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    gear_name: Mapped[str] = mapped_column(String(200))
    gear_version: Mapped[str] = mapped_column(String(100))
    gear_id: Mapped[str] = mapped_column(String(64))
    config_name: Mapped[str | None] = mapped_column(String(200))
    config_hash: Mapped[str] = mapped_column(String(64))
    config: Mapped[dict[str, Any]]
    inputs: Mapped[dict[str, Any]]
    project_id: Mapped[str] = mapped_column(String(64))
    project_label: Mapped[str] = mapped_column(String(200))
    analysis_label: Mapped[str] = mapped_column(String(500))
    size: Mapped[str | None] = mapped_column(String(50))
    vm_tag: Mapped[str | None] = mapped_column(String(200))
    requester_email: Mapped[str] = mapped_column(String(320))
    requester_slack_id: Mapped[str | None] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    approver_email: Mapped[str | None] = mapped_column(String(320))
    state: Mapped[str] = mapped_column(String(20))
    launch_mode: Mapped[str | None] = mapped_column(String(20))
    flywheel_batch_id: Mapped[str | None] = mapped_column(String(64))
    # File patterns a complete job must have saved to count as done (e.g. "*.html.zip").
    # NULL on batches made before the column existed.
    expect_outputs: Mapped[list[str] | None]
    target_count: Mapped[int] = mapped_column(Integer)
    skipped_count: Mapped[int] = mapped_column(Integer)
    complete_count: Mapped[int] = mapped_column(Integer)
    failed_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    launched_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    summary_claimed_by: Mapped[str | None] = mapped_column(String(100))
    summary_claimed_at: Mapped[datetime | None]
    summary_posted_at: Mapped[datetime | None]
    # Which process is launching the batch, and when it last said so (a lease).
    launch_owner: Mapped[str | None] = mapped_column(String(100))
    launch_heartbeat: Mapped[datetime | None]
    # The launch without who asked for it: another user's identical request shares it.
    launch_key: Mapped[str | None] = mapped_column(String(64))
    # `/fw cancel` during the launch: who asked; the launcher stops and cancels what it made.
    cancel_requested_by: Mapped[str | None] = mapped_column(String(320))
    cancel_requested_at: Mapped[datetime | None]
    # A batch-API launch's intent, written before it proposes its jobs to Flywheel: the ids
    # of fwbot's pending Flywheel batches that existed then, so a proposal whose answer was
    # lost is told apart from older ones on resume. NULL: no proposal intended.
    proposals_before: Mapped[list[str] | None]
    # `/fw retry`: the batch whose failed sessions this one relaunches.
    retry_of: Mapped[str | None] = mapped_column(String(16))
    # What it launches again where fwbot has the same run (a `Rerun`); NULL: nothing.
    rerun: Mapped[str | None] = mapped_column(String(10))

    __table_args__ = (
        CheckConstraint(_in("state", [s.value for s in BatchState]), name="state"),
        CheckConstraint(
            "launch_mode IS NULL OR " + _in("launch_mode", [m.value for m in LaunchMode]),
            name="launch_mode",
        ),
        Index(None, "project_label", "created_at"),
        Index(None, "requester_email", "created_at"),
        Index(None, "state"),
        Index(None, "launch_key"),
        Index(None, "retry_of"),
        # One batch at a time may launch the same jobs: two people confirming the same
        # launch at the same moment cannot both start it (the second gets a Conflict).
        Index(
            "uq_batches_launch_key_under_way",
            "launch_key",
            unique=True,
            sqlite_where=text(UNDER_WAY_SQL),
            postgresql_where=text(UNDER_WAY_SQL),
        ),
    )


class RunClaimRow(Base):
    """Which batch holds each run (gear, version, config, inputs, target): its key is the
    primary key, so of two batches or replicas racing to launch the same run, one wins."""

    __tablename__ = "run_claims"

    run_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    target_key: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime]

    __table_args__ = (Index(None, "batch_id"),)


class BatchTargetRow(Base):
    __tablename__ = "batch_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    session_id: Mapped[str] = mapped_column(String(64))
    session_label: Mapped[str] = mapped_column(String(200))
    subject_label: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20))
    job_id: Mapped[str | None] = mapped_column(String(64), index=True)
    analysis_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    attempt: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]
    # What the job runs on: a session (session_id is then the same id), an acquisition,
    # a subject or the project; session_id is the session it is in ("" above a session).
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[str] = mapped_column(String(64))
    target_label: Mapped[str | None] = mapped_column(String(500))
    # The files the plan picked for this target: input name -> {parent_type, parent_id,
    # name, version, file_id}; NULL when every input is the batch's (a project file).
    inputs: Mapped[dict[str, Any] | None]

    __table_args__ = (
        UniqueConstraint("batch_id", "target_id"),
        CheckConstraint(_in("state", [s.value for s in TargetState]), name="state"),
        Index(None, "batch_id", "state"),
    )


class SlackMessageRow(Base):
    __tablename__ = "slack_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("batch_id", "kind", "channel"),)


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32))
    project_label: Mapped[str] = mapped_column(String(200))
    # '' means every gear: NULLs are distinct in UNIQUE on both databases.
    gear: Mapped[str] = mapped_column(String(200))
    events: Mapped[list[str]]
    digest_time: Mapped[str | None] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64), server_default="UTC")  # Area/City
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime]
    # Set when Slack refused a post to the channel (the bot was removed): nothing more is
    # posted until someone subscribes again there.
    paused_at: Mapped[datetime | None]
    paused_reason: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        UniqueConstraint("channel", "project_label", "gear"),
        Index(None, "project_label"),
    )


class PostClaimRow(Base):
    """One scheduled post (a digest, a stuck alert, an event on a subscribed channel),
    claimed by one process before it is posted, so replicas post it once."""

    __tablename__ = "post_claims"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    owner: Mapped[str] = mapped_column(String(100))
    claimed_at: Mapped[datetime]
    posted_at: Mapped[datetime | None]


class AuditEventRow(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor_email: Mapped[str] = mapped_column(String(320))
    actor_slack_id: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    project_label: Mapped[str | None] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]]

    __table_args__ = (
        CheckConstraint(_in("outcome", list(AUDIT_OUTCOMES)), name="outcome"),
        Index(None, "at"),
        Index(None, "project_label", "at"),
    )


class IdentityRow(Base):
    __tablename__ = "identities"

    slack_user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    flywheel_user_id: Mapped[str | None] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200))
    resolved_at: Mapped[datetime]


class LinkedAccountRow(Base):
    """A person's own Flywheel API key, encrypted (never stored or logged in plaintext)."""

    __tablename__ = "linked_accounts"

    principal: Mapped[str] = mapped_column(String(340), primary_key=True)  # slack:U.. / console:..
    flywheel_user_id: Mapped[str] = mapped_column(String(320))
    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200))
    site: Mapped[str] = mapped_column(String(300))
    key_ciphertext: Mapped[str] = mapped_column(Text)
    linked_at: Mapped[datetime]

    __table_args__ = (Index(None, "flywheel_user_id"),)
