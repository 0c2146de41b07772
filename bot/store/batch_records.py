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

from sqlalchemy import func, insert, null, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.batch_life import BatchLife, Change, Phase, phase_of
from bot.domain.batches import (
    FINAL_BATCH_STATES,
    Batch,
    BatchSpec,
    BatchState,
    IllegalTransition,
    LaunchMode,
    Rerun,
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
        if len({t.key for t in targets}) != len(targets):
            raise ValueError("duplicate targets in batch targets")
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
            "retry_of": spec.retry_of,
            "rerun": None if spec.rerun is Rerun.NONE else spec.rerun.value,
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
                        "target_type": t.target_type,
                        "target_id": t.key,
                        "target_label": t.target_label or None,
                        "inputs": t.inputs or None,
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
        project_labels: Iterable[str] | None = None,
        retry_of: str | None = None,
    ) -> list[Batch]:
        """Newest first, optionally filtered (``project_labels``: on any of these projects;
        ``retry_of``: the retries of that batch)."""
        stmt = select(BatchRow).order_by(BatchRow.created_at.desc(), BatchRow.id.desc())
        if project_label is not None:
            stmt = stmt.where(BatchRow.project_label == project_label)
        if project_labels is not None:
            stmt = stmt.where(BatchRow.project_label.in_(list(project_labels)))
        if retry_of is not None:
            stmt = stmt.where(BatchRow.retry_of == retry_of)
        if requester_email is not None:
            stmt = stmt.where(BatchRow.requester_email == requester_email)
        if states is not None:
            stmt = stmt.where(BatchRow.state.in_([s.value for s in states]))
        with self._store.reading() as s:
            return [batch_from_row(r) for r in s.scalars(stmt.limit(limit))]

    def count_by_state(self) -> dict[BatchState, int]:
        """How many batches are in each state (every state, 0 when none): one GROUP BY on
        the indexed ``state`` column, read at each ``/metrics`` scrape."""
        stmt = select(BatchRow.state, func.count()).group_by(BatchRow.state)
        with self._store.reading() as s:
            found = {str(state): int(n) for state, n in s.execute(stmt)}
        return {state: found.get(state.value, 0) for state in BatchState}

    def transition(
        self,
        batch_id: str,
        to: BatchState,
        *,
        approver_email: str | None = None,
        now: datetime | None = None,
    ) -> Batch:
        """Move a batch to ``to`` if that is legal from its current state (by the stored
        state alone: the service's moves go through ``apply``, which knows the phases).

        A compare-and-set UPDATE (``WHERE state IN <legal sources>``), so two
        racing callers cannot both win an illegal move.
        """
        now = now or utcnow()
        values = _state_values(
            to.value, to is BatchState.LAUNCHED, to in FINAL_BATCH_STATES, now
        )
        if approver_email is not None:
            values["approver_email"] = approver_email
        legal = BatchRow.state.in_([s.value for s in sources_of(to)])
        return self._compare_and_set(batch_id, [legal], values, to)

    def _compare_and_set(
        self,
        batch_id: str,
        where: list[Any],
        values: dict[str, Any],
        to: BatchState,
    ) -> Batch:
        """One UPDATE of the batch's row where ``where`` still holds; ``IllegalTransition``
        (naming the state it is in) when it no longer does."""
        stmt = (
            update(BatchRow)
            .where(BatchRow.id == batch_id, *where)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        with self._store.session() as s:
            try:
                with s.begin_nested():
                    changed = s.execute(stmt).rowcount  # type: ignore[attr-defined]
            except IntegrityError as err:  # uq_batches_launch_key_under_way
                raise SameLaunchUnderWay(batch_id) from err
            row = s.get(BatchRow, batch_id, populate_existing=True)
            if row is None:
                raise NotFound("batch", batch_id)
            if not changed:
                raise IllegalTransition(batch_id, BatchState(row.state), to)
            return batch_from_row(row)

    def record_launch(
        self, batch_id: str, *, launch_mode: LaunchMode, flywheel_batch_id: str | None = None
    ) -> None:
        """How the batch was (or is being) launched, once the gateway has decided."""
        self._update(batch_id, launch_mode=launch_mode.value, flywheel_batch_id=flywheel_batch_id)

    def update_counts(self, batch_id: str, *, complete: int, failed: int) -> None:
        """Job outcomes as last seen in Flywheel (written by the watcher)."""
        self._update(batch_id, complete_count=complete, failed_count=failed)

    # -- `/fw cancel` during the launch ------------------------------------------------
    def request_cancel(self, batch_id: str, by: str, *, now: datetime | None = None) -> bool:
        """Record that ``by`` asked to cancel a batch still launching; the launcher (in
        whichever process holds the launch) reads it and stops. Only while the batch is
        launching, and the first request is the one kept.

        True when the batch is launching with a cancel requested (by this call or an
        earlier one); False when it is not launching (any more): the launch ended first."""
        life = BatchLife(self.get_existing(batch_id))
        if life.phase not in (Phase.LAUNCHING, Phase.STOPPING):
            return False
        change = life.request_cancel(by)
        if change is None:
            return True
        try:
            self.apply(change, now=now)
        except IllegalTransition:  # the launch ended, or someone else asked first
            return phase_of(self.get_existing(batch_id)) is Phase.STOPPING
        return True

    def cancel_requested_by(self, batch_id: str) -> str | None:
        """Who asked to cancel the batch while it was launching (None: nobody)."""
        with self._store.reading() as s:
            return s.scalar(select(BatchRow.cancel_requested_by).where(BatchRow.id == batch_id))

    def finish_launch(
        self, batch_id: str, to: BatchState, *, now: datetime | None = None
    ) -> Batch | None:
        """The launcher settled every target: ``launching -> to`` (launched or failed),
        unless a cancel was requested first (then None: the launcher stops it instead).
        The same compare-and-set as `request_cancel`'s, so exactly one of them wins."""
        check_transition(batch_id, BatchState.LAUNCHING, to)
        life = BatchLife(self.get_existing(batch_id))
        if life.phase is Phase.STOPPING:
            return None
        change = life.finish(1 if to is BatchState.LAUNCHED else 0)
        try:
            return self.apply(change, now=now)
        except IllegalTransition:
            if phase_of(self.get_existing(batch_id)) is Phase.STOPPING:
                return None  # a cancel came first
            raise

    def apply(self, change: Change, *, now: datetime | None = None) -> Batch:
        """A move of the batch's life (``BatchLife``), if the batch is still in the phase
        it leaves: one compare-and-set UPDATE on the state and the cancel request, so two
        racing callers cannot both win. ``IllegalTransition`` when it moved meanwhile."""
        now = now or utcnow()
        came, to = change.came_from, change.to
        final = to.state in FINAL_BATCH_STATES
        values = _state_values(to.state.value, to is Phase.LAUNCHED, final, now)
        if change.approver is not None:
            values["approver_email"] = change.approver
        if to is Phase.STOPPING:
            values.update(cancel_requested_by=change.by, cancel_requested_at=now)
        where = [BatchRow.state == came.state.value]
        if came is Phase.LAUNCHING:
            where.append(BatchRow.cancel_requested_at.is_(None))
        elif came is Phase.STOPPING:
            where.append(BatchRow.cancel_requested_at.is_not(None))
        return self._compare_and_set(change.batch_id, where, values, to.state)

    # -- batch-API proposals: the intent before the proposal ---------------------------
    def record_proposal_intent(self, batch_id: str, pending_before: Sequence[str] | None) -> None:
        """Before proposing the batch's jobs to Flywheel (``POST /batch/jobs``): the launch
        goes through the batch API, no proposal id is known, and ``pending_before`` (fwbot's
        pending Flywheel batches now) tells the proposal about to be made apart from older
        ones if its answer is lost. None withdraws the intent (Flywheel made nothing)."""
        self._update(
            batch_id,
            launch_mode=LaunchMode.BATCH_API.value,
            flywheel_batch_id=None,
            # SQL NULL, not JSON null, so "no intent" reads the same to SQL and to Python
            proposals_before=list(pending_before) if pending_before is not None else null(),
        )

    def recorded_proposals(self, flywheel_batch_ids: Iterable[str]) -> set[str]:
        """Those of these Flywheel batch ids that some fwbot batch recorded as its own."""
        wanted = list(flywheel_batch_ids)
        if not wanted:
            return set()
        stmt = select(BatchRow.flywheel_batch_id).where(BatchRow.flywheel_batch_id.in_(wanted))
        with self._store.reading() as s:
            return {str(v) for v in s.scalars(stmt)}

    def open_proposal_intents(self, *, besides: str) -> list[str]:
        """Other batches still launching whose proposal may exist unrecorded in Flywheel
        (intent written, no Flywheel batch id): their orphan and ours look alike."""
        stmt = select(BatchRow.id).where(
            BatchRow.id != besides,
            BatchRow.state == BatchState.LAUNCHING.value,
            BatchRow.launch_mode == LaunchMode.BATCH_API.value,
            BatchRow.flywheel_batch_id.is_(None),
            BatchRow.proposals_before.is_not(None),
        )
        with self._store.reading() as s:
            return list(s.scalars(stmt))


def _state_values(state: str, launched: bool, final: bool, now: datetime) -> dict[str, Any]:
    """The row's new state, with the moment it changed, launched or ended."""
    values: dict[str, Any] = {"state": state, "updated_at": now}
    if launched:
        values["launched_at"] = now
    if final:
        values["finished_at"] = now
    return values
