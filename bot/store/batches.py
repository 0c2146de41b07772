"""Batches and their per-session targets.

A batch is recorded (with all its targets, in one transaction) before the
first call to Flywheel. Its idempotency key is UNIQUE, so a double click or a
redelivered Slack request gets the existing batch back instead of a second
launch; `create_or_get` is race-safe because it relies on that constraint
(insert, catch IntegrityError, read the winner), not on a read-then-write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.batches import (
    FINAL_BATCH_STATES,
    Batch,
    BatchSpec,
    BatchState,
    IllegalTransition,
    LaunchMode,
    Target,
    TargetSpec,
    TargetState,
    check_transition,
    new_batch_id,
    sources_of,
)
from bot.errors import NotFound
from bot.store.models import BatchRow, BatchTargetRow, utcnow

if TYPE_CHECKING:
    from bot.store.db import Store

ID_ATTEMPTS = 8  # tries for a free short id before giving up
LAUNCH_LEASE = timedelta(minutes=2)  # a launcher silent this long is taken to be dead


@dataclass(frozen=True)
class TargetUpdate:
    """A change to one target; fields left at None are not touched."""

    target_id: int
    state: TargetState | None = None
    job_id: str | None = None
    analysis_id: str | None = None
    error: str | None = None
    attempt: int | None = None


def _batch(row: BatchRow) -> Batch:
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
    )


def _target(row: BatchTargetRow) -> Target:
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
    )


class BatchRepo:
    """Batches and targets. Every method is its own transaction unless called
    inside an enclosing ``store.session()``."""

    def __init__(self, store: Store, id_factory: Callable[[], str] = new_batch_id) -> None:
        self._store = store
        self._new_id = id_factory

    # -- creating ---------------------------------------------------------

    def create_or_get(self, spec: BatchSpec, targets: Sequence[TargetSpec]) -> tuple[Batch, bool]:
        """Record a batch and its targets, or return the batch with the same
        idempotency key. The flag says whether this call created it."""
        if len({t.session_id for t in targets}) != len(targets):
            raise ValueError("duplicate session ids in batch targets")
        key = spec.idempotency_key(targets)
        with self._store.session() as s:
            existing = self._by_key(s, key)
            if existing is not None:
                return _batch(existing), False
            for _ in range(ID_ATTEMPTS):
                batch_id = self._new_id()
                now = utcnow()
                try:
                    with s.begin_nested():
                        s.execute(insert(BatchRow).values(**self._row(spec, batch_id, key, now)))
                except IntegrityError:
                    existing = self._by_key(s, key)
                    if existing is not None:
                        return _batch(existing), False
                    continue  # the short id was taken: draw another
                self._insert_targets(s, batch_id, targets, now)
                row = s.get(BatchRow, batch_id)
                assert row is not None
                return _batch(row), True
        raise RuntimeError(f"no free batch id after {ID_ATTEMPTS} attempts")

    @staticmethod
    def _row(spec: BatchSpec, batch_id: str, key: str, now: datetime) -> dict[str, Any]:
        return {
            "id": batch_id,
            "idempotency_key": key,
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

    # -- reading ----------------------------------------------------------

    @staticmethod
    def _by_key(s: Session, key: str) -> BatchRow | None:
        return s.scalar(select(BatchRow).where(BatchRow.idempotency_key == key))

    def get(self, batch_id: str) -> Batch | None:
        with self._store.reading() as s:
            row = s.get(BatchRow, batch_id)
            return _batch(row) if row is not None else None

    def require(self, batch_id: str) -> Batch:
        """Like `get`, but a missing batch is a user-facing NotFound."""
        batch = self.get(batch_id)
        if batch is None:
            raise NotFound("batch", batch_id)
        return batch

    def get_by_key(self, key: str) -> Batch | None:
        with self._store.reading() as s:
            row = self._by_key(s, key)
            return _batch(row) if row is not None else None

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
            return [_batch(r) for r in s.scalars(stmt.limit(limit))]

    def targets(self, batch_id: str, states: Iterable[TargetState] | None = None) -> list[Target]:
        stmt = select(BatchTargetRow).where(BatchTargetRow.batch_id == batch_id)
        if states is not None:
            stmt = stmt.where(BatchTargetRow.state.in_([s.value for s in states]))
        with self._store.reading() as s:
            return [_target(r) for r in s.scalars(stmt.order_by(BatchTargetRow.id))]

    def target_counts(self, batch_id: str) -> dict[TargetState, int]:
        """Targets per state, every state present (zero when none)."""
        stmt = (
            select(BatchTargetRow.state, func.count())
            .where(BatchTargetRow.batch_id == batch_id)
            .group_by(BatchTargetRow.state)
        )
        counts = dict.fromkeys(TargetState, 0)
        with self._store.reading() as s:
            for state, n in s.execute(stmt):
                counts[TargetState(state)] = n
        return counts

    # -- changing ---------------------------------------------------------

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
            if s.execute(stmt).rowcount == 0:  # type: ignore[attr-defined]
                current = s.scalar(select(BatchRow.state).where(BatchRow.id == batch_id))
                if current is None:
                    raise NotFound("batch", batch_id)
                check_transition(batch_id, BatchState(current), to)
                raise IllegalTransition(batch_id, BatchState(current), to)
            row = s.get(BatchRow, batch_id, populate_existing=True)
            assert row is not None
            return _batch(row)

    def record_launch(
        self, batch_id: str, *, launch_mode: LaunchMode, flywheel_batch_id: str | None = None
    ) -> None:
        """How the batch was (or is being) launched, once the gateway has decided."""
        self._update(batch_id, launch_mode=launch_mode.value, flywheel_batch_id=flywheel_batch_id)

    def update_counts(self, batch_id: str, *, complete: int, failed: int) -> None:
        """Job outcomes as last seen in Flywheel (written by the watcher)."""
        self._update(batch_id, complete_count=complete, failed_count=failed)

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

    def update_targets(self, updates: Sequence[TargetUpdate]) -> int:
        """Bulk update by target id; one executemany per distinct set of changed fields."""
        now = utcnow()
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for u in updates:
            params: dict[str, Any] = {"id": u.target_id, "updated_at": now}
            for name in ("state", "job_id", "analysis_id", "error", "attempt"):
                value = getattr(u, name)
                if value is not None:
                    params[name] = value.value if isinstance(value, TargetState) else value
            groups.setdefault(tuple(sorted(params)), []).append(params)
        with self._store.session() as s:
            for rows in groups.values():
                s.execute(update(BatchTargetRow), rows)
        return len(updates)

    # -- scheduled work -----------------------------------------------------

    def claim_batches_needing_summary(
        self,
        limit: int,
        owner: str,
        *,
        lease: timedelta = timedelta(minutes=15),
        now: datetime | None = None,
    ) -> list[Batch]:
        """Claim final batches whose summary is not posted, so exactly one
        replica posts each. PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets replicas
        claim disjoint rows without waiting. SQLite (one process, IMMEDIATE
        transactions) ignores the locking clause: a plain select-and-update.
        A claim older than ``lease`` is considered abandoned and reclaimable.
        """
        now = now or utcnow()
        pick = (
            select(BatchRow.id)
            .where(
                BatchRow.state.in_([s.value for s in FINAL_BATCH_STATES]),
                BatchRow.summary_posted_at.is_(None),
                or_(
                    BatchRow.summary_claimed_at.is_(None),
                    BatchRow.summary_claimed_at < now - lease,
                ),
            )
            .order_by(BatchRow.finished_at, BatchRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        with self._store.session() as s:
            ids = list(s.scalars(pick))
            if not ids:
                return []
            s.execute(
                update(BatchRow)
                .where(BatchRow.id.in_(ids))
                .values(summary_claimed_by=owner, summary_claimed_at=now)
                .execution_options(synchronize_session=False)
            )
            rows = s.scalars(
                select(BatchRow)
                .where(BatchRow.id.in_(ids))
                .order_by(BatchRow.finished_at, BatchRow.id)
                .execution_options(populate_existing=True)
            )
            return [_batch(r) for r in rows]

    # -- launching, one process at a time -------------------------------------------

    def claim_launch(
        self,
        batch_id: str,
        owner: str,
        *,
        lease: timedelta = LAUNCH_LEASE,
        now: datetime | None = None,
    ) -> bool:
        """Take (or renew) the right to launch a batch that is ``launching``.

        A compare-and-set: it succeeds when nobody holds the batch, ``owner`` already
        does, or the holder's heartbeat is older than ``lease`` (it died). So with
        several replicas resuming unfinished launches, one launches and the others
        leave it alone. The launcher renews it as it goes and releases it when done.
        """
        now = now or utcnow()
        stmt = (
            update(BatchRow)
            .where(
                BatchRow.id == batch_id,
                BatchRow.state == BatchState.LAUNCHING.value,
                or_(
                    BatchRow.launch_owner.is_(None),
                    BatchRow.launch_owner == owner,
                    BatchRow.launch_heartbeat < now - lease,
                ),
            )
            .values(launch_owner=owner, launch_heartbeat=now)
            .execution_options(synchronize_session=False)
        )
        with self._store.session() as s:
            return bool(s.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def release_launch(self, batch_id: str, owner: str) -> None:
        """Give the batch back (the launch ended or this process is stopping)."""
        with self._store.session() as s:
            s.execute(
                update(BatchRow)
                .where(BatchRow.id == batch_id, BatchRow.launch_owner == owner)
                .values(launch_owner=None, launch_heartbeat=None)
                .execution_options(synchronize_session=False)
            )

    def mark_summary_posted(self, batch_id: str, now: datetime | None = None) -> None:
        self._update(batch_id, summary_posted_at=now or utcnow())

    def release_summary_claim(self, batch_id: str, owner: str) -> None:
        """Give a claim back (posting failed) so another run can take it."""
        with self._store.session() as s:
            s.execute(
                update(BatchRow)
                .where(BatchRow.id == batch_id, BatchRow.summary_claimed_by == owner)
                .values(summary_claimed_by=None, summary_claimed_at=None)
                .execution_options(synchronize_session=False)
            )
