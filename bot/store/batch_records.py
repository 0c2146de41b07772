"""Batches as records: created once (idempotently), read, and moved between states.

A batch is recorded (with all its targets, in one transaction) before the first call
to Flywheel. Its idempotency key is UNIQUE, so a double click or a redelivered Slack
request gets the existing batch back instead of a second launch; `create_or_get` is
race-safe because it relies on that constraint (insert, catch IntegrityError, read the
winner), not on a read-then-write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.batches import (
    FINAL_BATCH_STATES,
    Batch,
    BatchSpec,
    BatchState,
    IllegalTransition,
    LaunchMode,
    SameLaunchUnderWay,
    TargetSpec,
    check_transition,
    sources_of,
)
from bot.errors import NotFound
from bot.store.models import BatchRow, BatchTargetRow, utcnow
from bot.store.repo import StoreBacked, batch_from_row

ID_ATTEMPTS = 8  # tries for a free short id before giving up


class BatchRecords(StoreBacked):
    """Create, read and transition batches."""

    _new_id: Callable[[], str]  # the short-id factory, set by BatchRepo

    def create_or_get(self, spec: BatchSpec, targets: Sequence[TargetSpec]) -> tuple[Batch, bool]:
        """Record a batch and its targets, or return the batch with the same
        idempotency key. The flag says whether this call created it."""
        if len({t.session_id for t in targets}) != len(targets):
            raise ValueError("duplicate session ids in batch targets")
        key = spec.idempotency_key(targets)
        with self._store.session() as s:
            existing = self._by_key(s, key)
            if existing is not None:
                return batch_from_row(existing), False
            for _ in range(ID_ATTEMPTS):
                batch_id = self._new_id()
                now = utcnow()
                try:
                    with s.begin_nested():
                        values = self._row(spec, batch_id, key, now, targets)
                        s.execute(insert(BatchRow).values(**values))
                except IntegrityError:
                    existing = self._by_key(s, key)
                    if existing is not None:
                        return batch_from_row(existing), False
                    continue  # the short id was taken: draw another
                self._insert_targets(s, batch_id, targets, now)
                row = s.get(BatchRow, batch_id)
                assert row is not None
                return batch_from_row(row), True
        raise RuntimeError(f"no free batch id after {ID_ATTEMPTS} attempts")

    @staticmethod
    def _row(
        spec: BatchSpec, batch_id: str, key: str, now: datetime, targets: Sequence[TargetSpec]
    ) -> dict[str, Any]:
        return {
            "id": batch_id,
            "idempotency_key": key,
            "launch_key": spec.launch_key(targets),
            "gear_name": spec.gear_name,
            "gear_version": spec.gear_version,
            "gear_id": spec.gear_id,
            "config_name": spec.config_name,
            "config_hash": spec.config_hash,
            "config": spec.config,
            "inputs": spec.inputs,
            "project_id": spec.project_id,
            "project_label": spec.project_label,
            "analysis_label": spec.analysis_label,
            "size": spec.size,
            "vm_tag": spec.vm_tag,
            "requester_email": spec.requester_email,
            "requester_slack_id": spec.requester_slack_id,
            "channel_id": spec.channel_id,
            "state": spec.state.value,
            "target_count": 0,
            "skipped_count": spec.skipped_count,
            "expect_outputs": list(spec.expect_outputs),
            "complete_count": 0,
            "failed_count": 0,
            "created_at": now,
            "updated_at": now,
        }

    @staticmethod
    def _insert_targets(
        s: Session, batch_id: str, targets: Sequence[TargetSpec], now: datetime
    ) -> None:
        if targets:
            # A list of parameter sets: one executemany, not a round trip per row.
            s.execute(
                insert(BatchTargetRow),
                [
                    {
                        "batch_id": batch_id,
                        "session_id": t.session_id,
                        "session_label": t.session_label,
                        "subject_label": t.subject_label,
                        "state": t.state.value,
                        "attempt": t.attempt,
                        "updated_at": now,
                    }
                    for t in targets
                ],
            )
        s.execute(
            update(BatchRow)
            .where(BatchRow.id == batch_id)
            .values(target_count=len(targets))
            .execution_options(synchronize_session=False)
        )

    @staticmethod
    def _by_key(s: Session, key: str) -> BatchRow | None:
        return s.scalar(select(BatchRow).where(BatchRow.idempotency_key == key))

    def same_launch(self, launch_key: str, *, besides: str) -> list[Batch]:
        """Other batches that would launch the same jobs (asked by someone else), not over
        yet, newest first: what a second requester is told about, and what stops their
        confirm from launching the same sessions twice."""
        stmt = (
            select(BatchRow)
            .where(
                BatchRow.launch_key == launch_key,
                BatchRow.id != besides,
                BatchRow.state.not_in([s.value for s in FINAL_BATCH_STATES]),
            )
            .order_by(BatchRow.created_at.desc(), BatchRow.id.desc())
        )
        with self._store.reading() as s:
            return [batch_from_row(r) for r in s.scalars(stmt.limit(10))]

    def get(self, batch_id: str) -> Batch | None:
        with self._store.reading() as s:
            row = s.get(BatchRow, batch_id)
            return batch_from_row(row) if row is not None else None

    def get_existing(self, batch_id: str) -> Batch:
        """Like `get`, but a missing batch is a user-facing NotFound."""
        batch = self.get(batch_id)
        if batch is None:
            raise NotFound("batch", batch_id)
        return batch

    def get_by_key(self, key: str) -> Batch | None:
        with self._store.reading() as s:
            row = self._by_key(s, key)
            return batch_from_row(row) if row is not None else None

    def find(
        self,
        *,
        project_label: str | None = None,
        requester_email: str | None = None,
        states: Iterable[BatchState] | None = None,
        limit: int = 20,
    ) -> list[Batch]:
        """Newest first, optionally filtered."""
        stmt = select(BatchRow).order_by(BatchRow.created_at.desc(), BatchRow.id.desc())
        if project_label is not None:
            stmt = stmt.where(BatchRow.project_label == project_label)
        if requester_email is not None:
            stmt = stmt.where(BatchRow.requester_email == requester_email)
        if states is not None:
            stmt = stmt.where(BatchRow.state.in_([s.value for s in states]))
        with self._store.reading() as s:
            return [batch_from_row(r) for r in s.scalars(stmt.limit(limit))]

    def transition(
        self,
        batch_id: str,
        to: BatchState,
        *,
        approver_email: str | None = None,
        now: datetime | None = None,
    ) -> Batch:
        """Move a batch to ``to`` if that is legal from its current state.

        A compare-and-set UPDATE (``WHERE state IN <legal sources>``), so two
        racing callers cannot both win an illegal move.
        """
        now = now or utcnow()
        values: dict[str, Any] = {"state": to.value, "updated_at": now}
        if to is BatchState.LAUNCHED:
            values["launched_at"] = now
        if to in FINAL_BATCH_STATES:
            values["finished_at"] = now
        if approver_email is not None:
            values["approver_email"] = approver_email
        stmt = (
            update(BatchRow)
            .where(BatchRow.id == batch_id, BatchRow.state.in_([s.value for s in sources_of(to)]))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        with self._store.session() as s:
            try:
                with s.begin_nested():
                    changed = s.execute(stmt).rowcount  # type: ignore[attr-defined]
            except IntegrityError as err:  # uq_batches_launch_key_under_way
                raise SameLaunchUnderWay(batch_id) from err
            if changed == 0:
                current = s.scalar(select(BatchRow.state).where(BatchRow.id == batch_id))
                if current is None:
                    raise NotFound("batch", batch_id)
                check_transition(batch_id, BatchState(current), to)
                raise IllegalTransition(batch_id, BatchState(current), to)
            row = s.get(BatchRow, batch_id, populate_existing=True)
            assert row is not None
            return batch_from_row(row)

    def record_launch(
        self, batch_id: str, *, launch_mode: LaunchMode, flywheel_batch_id: str | None = None
    ) -> None:
        """How the batch was (or is being) launched, once the gateway has decided."""
        self._update(batch_id, launch_mode=launch_mode.value, flywheel_batch_id=flywheel_batch_id)

    def update_counts(self, batch_id: str, *, complete: int, failed: int) -> None:
        """Job outcomes as last seen in Flywheel (written by the watcher)."""
        self._update(batch_id, complete_count=complete, failed_count=failed)

