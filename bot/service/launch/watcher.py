"""The batch watcher: what the scheduler runs every few seconds.

It keeps each launched batch's message current (one tagged query per batch),
marks a batch complete when all its jobs have ended, and restarts launches this
process is not running (left over from a restart or an outage).
"""

from __future__ import annotations

import contextlib
import logging

from bot.domain import (
    BatchState,
    IllegalTransition,
    when_jobs_end,
)
from bot.errors import FwbotError
from bot.service.launch.reporting import BatchReporter
from bot.service.launch.service import LaunchService
from bot.store.batches import BatchRepo

log = logging.getLogger(__name__)

WATCH_LIMIT = 200


class BatchWatcher:
    def __init__(self, reporter: BatchReporter, batches: BatchRepo, launches: LaunchService):
        self._reporter = reporter
        self._batches = batches
        self._launches = launches

    def tick(self) -> None:
        self._launches.resume_unfinished()
        self._reporter.retry_unsent()
        for batch in self._batches.find(states=[BatchState.LAUNCHED], limit=WATCH_LIMIT):
            try:
                self.refresh(batch.id)
            except FwbotError as err:  # Flywheel down: try again next tick
                log.warning("cannot refresh batch %s: %s", batch.id, err.message)

    def refresh(self, batch_id: str) -> None:
        view = self._reporter.view(batch_id)
        self._batches.update_counts(batch_id, complete=view.complete, failed=view.failed)
        if view.all_final:
            # A batch whose jobs were cancelled ends cancelled, not complete.
            final = when_jobs_end(view.cancelled)
            # IllegalTransition: another replica got there first
            with contextlib.suppress(IllegalTransition):
                self._batches.transition(batch_id, final)
            view = self._reporter.view(batch_id)
        self._reporter.publish(batch_id, view)
