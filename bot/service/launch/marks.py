"""Writing down what a launch did to its targets: launched (with the job), failed, found.

The tag check lives here too: every job carries ``fwbot:<batch id>``, so a planned target
that already has a job with the tag (its answer was lost, or a run was cut short) is marked
launched instead of being launched again.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from bot.domain import Batch, JobRecord, LaunchedJob, Target, TargetState, batch_tag
from bot.flywheel.gateway import FlywheelGateway
from bot.store.batches import BatchRepo, TargetUpdate


class TargetMarks:
    def __init__(self, gateway: FlywheelGateway, batches: BatchRepo) -> None:
        self._gateway = gateway
        self._batches = batches

    def reconcile(self, batch: Batch) -> list[JobRecord] | None:
        """Mark launched every planned target that already has a job with the batch's tag;
        returns the batch's jobs it read (None: nothing planned, nothing read)."""
        planned = self._batches.targets(batch.id, [TargetState.PLANNED])
        if not planned:
            return None
        found = self._gateway.jobs_tagged(batch_tag(batch.id))
        self.found(planned, found)
        return found

    def still_planned(self, batch: Batch, targets: Sequence[Target]) -> list[Target]:
        """``targets`` that are still planned after a tag check."""
        self.reconcile(batch)
        still = {t.id for t in self._batches.targets(batch.id, [TargetState.PLANNED])}
        return [t for t in targets if t.id in still]

    def found(self, planned: Sequence[Target], jobs: Sequence[JobRecord]) -> None:
        level = planned[0].target_type if planned else "session"
        self.launched(
            planned,
            [
                LaunchedJob(
                    session_id=j.session_id or "",
                    job_id=j.job_id,
                    analysis_id=j.analysis_id,
                    target_id=j.target_of(level),
                )
                for j in jobs
            ],
        )

    def launched(self, targets: Sequence[Target], jobs: Sequence[LaunchedJob]) -> None:
        """Targets launched, matched by their container (a job's ``parents`` at the
        targets' level; a session target's is its session)."""
        by_key = {t.key: t for t in targets}
        updates = [
            TargetUpdate(
                target_id=by_key[key].id,
                state=TargetState.LAUNCHED,
                job_id=job.job_id,
                analysis_id=job.analysis_id,
            )
            for job in jobs
            if (key := job.target_id or job.session_id) in by_key
        ]
        if updates:
            self._batches.update_targets(updates)

    def failed(
        self, targets: Sequence[Target], reason: str | None, reasons: dict[int, str] | None = None
    ) -> None:
        updates = [
            TargetUpdate(
                target_id=t.id,
                state=TargetState.FAILED,
                error=reason or (reasons or {}).get(t.id) or "launch failed",
            )
            for t in targets
        ]
        if updates:
            self._batches.update_targets(updates)


class Recorder:
    """Launched targets written to the store in groups, not one transaction per session.

    Safe because nothing rests on the write alone: after a crash the targets not yet
    written are still planned, and the next run's tag check finds their jobs first."""

    EVERY = 64

    def __init__(self, batches: BatchRepo) -> None:
        self._batches = batches
        self._updates: list[TargetUpdate] = []
        self._lock = threading.Lock()

    def launched(self, target: Target, job: LaunchedJob) -> None:
        update = TargetUpdate(
            target_id=target.id,
            state=TargetState.LAUNCHED,
            job_id=job.job_id,
            analysis_id=job.analysis_id,
        )
        with self._lock:
            self._updates.append(update)
            if len(self._updates) < self.EVERY:
                return
            ready, self._updates = self._updates, []
        self._batches.update_targets(ready)

    def flush(self) -> None:
        with self._lock:
            ready, self._updates = self._updates, []
        if ready:
            self._batches.update_targets(ready)
