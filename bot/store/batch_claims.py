"""Claims on batches, so that replicas never do the same work twice: the launch lease
(one launcher per batch) and the summary claim (one completion post per batch).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update

from bot.domain.batches import (
    FINAL_BATCH_STATES,
    Batch,
    BatchState,
)
from bot.store.models import BatchRow, utcnow
from bot.store.repo import StoreBacked, batch_from_row

# A launcher whose heartbeat (every 5 s) is silent this long is taken to be dead: a
# restart after kill -9 resumes its launches within about this long.
LAUNCH_LEASE = timedelta(seconds=25)


class BatchClaims(StoreBacked):
    """Leases and claims held by one process at a time."""

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
            return [batch_from_row(r) for r in rows]

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

    def launch_lease_left(
        self, batch_id: str, *, lease: timedelta = LAUNCH_LEASE, now: datetime | None = None
    ) -> float | None:
        """Seconds until the current holder's launch lease lapses if it is not renewed
        (0 if it has); None when nobody holds it or the batch is not launching."""
        with self._store.reading() as s:
            row = s.execute(
                select(BatchRow.launch_owner, BatchRow.launch_heartbeat).where(
                    BatchRow.id == batch_id, BatchRow.state == BatchState.LAUNCHING.value
                )
            ).first()
        if row is None or row.launch_owner is None or row.launch_heartbeat is None:
            return None
        heartbeat = row.launch_heartbeat
        if heartbeat.tzinfo is None:  # SQLite keeps no offset; the store writes UTC
            heartbeat = heartbeat.replace(tzinfo=UTC)
        left = (heartbeat + lease - (now or utcnow())).total_seconds()
        return min(max(left, 0.0), lease.total_seconds())

    def release_launch(self, batch_id: str, owner: str) -> None:
        """Give the batch back (the launch ended or this process is stopping)."""
        with self._store.session() as s:
            s.execute(
                update(BatchRow)
                .where(BatchRow.id == batch_id, BatchRow.launch_owner == owner)
                .values(launch_owner=None, launch_heartbeat=None)
                .execution_options(synchronize_session=False)
            )
