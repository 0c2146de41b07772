"""The batch watcher: what the scheduler runs every few seconds.

It keeps each launched batch's message current (one tagged query per batch),
marks a batch complete when all its jobs have ended, alerts once about jobs stuck far
longer than their gear should take, posts each finished batch's summary once, and
restarts launches this process is not running (left over from a restart or an outage).
"""

from __future__ import annotations

import contextlib
import logging

from bot.domain import (
    BatchState,
    IllegalTransition,
)
from bot.domain.batch_life import BatchLife
from bot.errors import FwbotError
from bot.service.launch.background import BackgroundLaunches
from bot.service.launch.progress import BatchView
from bot.service.launch.reporting import BatchReporter
from bot.service.launch.stuck import StuckWatch
from bot.service.launch.summary import SummaryPoster
from bot.store.batches import BatchRepo

log = logging.getLogger(__name__)

WATCH_LIMIT = 200


class BatchWatcher:
    def __init__(
        self,
        reporter: BatchReporter,
        batches: BatchRepo,
        background: BackgroundLaunches,
        summaries: SummaryPoster | None = None,
        stuck: StuckWatch | None = None,
    ):
        self._reporter = reporter
        self._batches = batches
        self._background = background
        self._summaries = summaries
        self._stuck = stuck

    def tick(self) -> None:
        self._background.resume_unfinished()
        self._reporter.retry_unsent()
        ended: dict[str, BatchView] = {}
        for batch in self._batches.find(states=[BatchState.LAUNCHED], limit=WATCH_LIMIT):
            try:
                view = self.refresh(batch.id)
                if view.batch.is_final:
                    ended[batch.id] = view
                elif self._stuck is not None:
                    self._stuck.check(view)
            except FwbotError as err:  # Flywheel down: try again next tick
                log.warning("cannot refresh batch %s: %s", batch.id, err.message)
        if self._summaries is not None:
            self._summaries.post_due(ended)

    def refresh(self, batch_id: str) -> BatchView:
        view = self._reporter.view(batch_id)
        self._batches.update_counts(batch_id, complete=view.complete, failed=view.failed)
        if view.all_final:
            # A batch whose jobs were cancelled ends cancelled, not complete.
            # IllegalTransition: another replica got there first
            with contextlib.suppress(IllegalTransition):
                self._batches.apply(BatchLife(view.batch).end(view.cancelled))
            view = self._reporter.view(batch_id)
        return self._reporter.publish(batch_id, view)
