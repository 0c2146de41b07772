"""`/fw cancel` during a launch: nothing more is launched and the batch ends cancelled.

The jobs already made that are still queued are cancelled (running ones finish), the
targets not launched end ``cancelled``, and so does the batch. Safe to repeat: if Flywheel
fails part-way the batch stays launching, with its request, and the next run finishes it.
"""

from __future__ import annotations

import contextlib
import logging

from bot.domain import (
    QUEUED_JOB_STATES,
    Batch,
    IllegalTransition,
    JobRecord,
    JobState,
    TargetState,
    batch_tag,
)
from bot.domain.batch_life import BatchLife
from bot.errors import FlywheelRefused, FlywheelUnavailable
from bot.flywheel.gateway import FlywheelGateway
from bot.observe.context import ContextThreadPool
from bot.service.launch.marks import TargetMarks
from bot.service.launch.reporting import BatchReporter
from bot.store.batches import BatchRepo, TargetUpdate

log = logging.getLogger(__name__)


class LaunchStop:
    def __init__(
        self,
        gateway: FlywheelGateway,
        batches: BatchRepo,
        marks: TargetMarks,
        reporter: BatchReporter,
        *,
        concurrency: int,
    ) -> None:
        self._gateway = gateway
        self._batches = batches
        self._marks = marks
        self._reporter = reporter
        self._concurrency = concurrency

    def stop(self, batch: Batch) -> None:
        try:
            jobs = self._gateway.jobs_tagged(batch_tag(batch.id))
            # a job made for a target still planned (its answer was lost) is cancelled too
            self._marks.found(self._batches.targets(batch.id, [TargetState.PLANNED]), jobs)
            cancelled = self._cancel_queued(jobs)
        except FlywheelUnavailable as err:
            log.warning("stopping the launch of %s interrupted: %s", batch.id, err.message)
            return
        who = batch.cancel_requested_by or self._batches.cancel_requested_by(batch.id) or "?"
        self._batches.update_targets(
            [
                TargetUpdate(
                    target_id=t.id,
                    state=TargetState.CANCELLED,
                    error=f"not launched: {who} cancelled the launch",
                )
                for t in self._batches.targets(batch.id, [TargetState.PLANNED])
            ]
        )
        with contextlib.suppress(IllegalTransition):  # stopped already (a repeated run)
            self._batches.apply(BatchLife(self._batches.get_existing(batch.id)).stop())
        log.info("launch of %s stopped: %s cancelled it", batch.id, who)
        now = [  # the jobs as they are now, without asking Flywheel again
            j.model_copy(update={"state": JobState.CANCELLED}) if j.job_id in cancelled else j
            for j in jobs
        ]
        view = self._reporter.publish(batch.id, self._reporter.view(batch.id, now))
        self._reporter.publish_failures(view)

    def _cancel_queued(self, jobs: list[JobRecord]) -> set[str]:
        queued = [j.job_id for j in jobs if j.state in QUEUED_JOB_STATES]
        if not queued:
            return set()
        workers = min(self._concurrency, len(queued))
        with ContextThreadPool(workers, thread_name_prefix="fwbot-cancel") as pool:
            done = pool.map(self._cancel_job, queued)
            return {j for j, ok in zip(queued, done, strict=True) if ok}

    def _cancel_job(self, job_id: str) -> bool:
        try:
            return self._gateway.cancel_job(job_id)
        except FlywheelRefused as err:  # not fwbot's to cancel after all: it runs its course
            log.warning("cannot cancel job %s: %s", job_id, err.message)
            return False
