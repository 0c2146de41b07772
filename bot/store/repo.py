"""What the batch repositories share: the store they write through, and rows mapped
to the domain's records (``bot.domain``) and back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from bot.domain.batches import Batch, BatchState, LaunchMode, Rerun, Target, TargetState
from bot.errors import NotFound
from bot.store.models import BatchRow, BatchTargetRow, utcnow

if TYPE_CHECKING:
    from bot.store.db import Store


class StoreBacked:
    """A repository over the store (each call its own transaction unless inside a
    ``store.session()``)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def _update(self, batch_id: str, **values: Any) -> None:
        stmt = (
            update(BatchRow)
            .where(BatchRow.id == batch_id)
            .values(updated_at=utcnow(), **values)
            .execution_options(synchronize_session=False)
        )
        with self._store.session() as s:
            if s.execute(stmt).rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound("batch", batch_id)


@dataclass(frozen=True)
class TargetUpdate:
    """A change to one target; fields left at None are not touched."""

    target_id: int
    state: TargetState | None = None
    job_id: str | None = None
    analysis_id: str | None = None
    error: str | None = None
    attempt: int | None = None


def batch_from_row(row: BatchRow) -> Batch:
    return Batch(
        id=row.id,
        idempotency_key=row.idempotency_key,
        gear_name=row.gear_name,
        gear_version=row.gear_version,
        gear_id=row.gear_id,
        config_name=row.config_name,
        config_hash=row.config_hash,
        config=dict(row.config),
        inputs=dict(row.inputs),
        project_id=row.project_id,
        project_label=row.project_label,
        analysis_label=row.analysis_label,
        size=row.size,
        vm_tag=row.vm_tag,
        requester_email=row.requester_email,
        requester_slack_id=row.requester_slack_id,
        channel_id=row.channel_id,
        approver_email=row.approver_email,
        state=BatchState(row.state),
        launch_mode=LaunchMode(row.launch_mode) if row.launch_mode else None,
        flywheel_batch_id=row.flywheel_batch_id,
        expect_outputs=tuple(row.expect_outputs or ()),
        target_count=row.target_count,
        skipped_count=row.skipped_count,
        complete_count=row.complete_count,
        failed_count=row.failed_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
        launched_at=row.launched_at,
        finished_at=row.finished_at,
        summary_claimed_by=row.summary_claimed_by,
        summary_claimed_at=row.summary_claimed_at,
        summary_posted_at=row.summary_posted_at,
        launch_key=row.launch_key,
        cancel_requested_by=row.cancel_requested_by,
        cancel_requested_at=row.cancel_requested_at,
        proposals_before=(
            tuple(row.proposals_before) if row.proposals_before is not None else None
        ),
        retry_of=row.retry_of,
        rerun=Rerun(row.rerun) if row.rerun else Rerun.NONE,
    )


def target_from_row(row: BatchTargetRow) -> Target:
    return Target(
        id=row.id,
        batch_id=row.batch_id,
        session_id=row.session_id,
        session_label=row.session_label,
        subject_label=row.subject_label,
        state=TargetState(row.state),
        job_id=row.job_id,
        analysis_id=row.analysis_id,
        error=row.error,
        attempt=row.attempt,
        updated_at=row.updated_at,
        target_type=row.target_type,
        target_id=row.target_id,
        target_label=row.target_label or "",
        inputs=dict(row.inputs or {}),
    )
