"""Launches that run on their own, not as anyone's use case: the worker pool's entry point.

A confirmed batch is handed to the worker pool (once per process at a time); after a
restart, every batch left launching is resumed (the tag check prevents doubles); and a
batch whose launch another process holds is tried again the moment that process's lease
would lapse, through the scheduler (``Later``), not a private timer. Only the composition
root, the watcher and the launch use cases hold this; commands cannot reach it.
"""

from __future__ import annotations

import logging
import threading

from bot.domain import BatchState
from bot.service.later import Later
from bot.service.launch.launcher import Launcher
from bot.service.launch.timing import LaunchTiming
from bot.service.workers import WorkerPool
from bot.store.batches import BatchRepo

log = logging.getLogger(__name__)

RESUME_LIMIT = 100  # batches left launching resumed per pass (the watcher's pass goes on)


class BackgroundLaunches:
    def __init__(
        self, launcher: Launcher, batches: BatchRepo, workers: WorkerPool, later: Later
    ) -> None:
        self._launcher = launcher
        self._batches = batches
        self._workers = workers
        self._later = later
        self._in_flight: set[str] = set()  # this process's launches, while they run
        self._lock = threading.Lock()

    @property
    def timing(self) -> LaunchTiming:
        return self._launcher.timing

    def launch(self, batch_id: str) -> None:
        """Hand the batch to the worker pool, unless this process is already launching it."""
        with self._lock:
            if batch_id in self._in_flight or self._workers.stopping.is_set():
                return
            self._in_flight.add(batch_id)

        def run() -> None:
            try:
                lease_left = self._launcher.run(batch_id)
            finally:
                with self._lock:
                    self._in_flight.discard(batch_id)
            if lease_left is not None:
                self._try_again_after(batch_id, lease_left + self.timing.lease_margin)

        self._workers.submit(f"launch {batch_id}", run)

    def notice_cancel(self, batch_id: str) -> None:
        """A cancel was just recorded here: this process's run of the batch stops now."""
        self._launcher.notice_cancel(batch_id)

    def resume_unfinished(self) -> list[str]:
        """After a restart: finish every batch left launching, or stop it if someone asked
        to cancel it meanwhile."""
        found = self._batches.find(states=[BatchState.LAUNCHING], limit=RESUME_LIMIT)
        for batch in found:
            self.launch(batch.id)
        return [b.id for b in found]

    def _try_again_after(self, batch_id: str, seconds: float) -> None:
        """Another process holds the launch: try again when its lease would lapse (it
        renews every few seconds while alive, so this only takes over from a dead one)."""
        if self._workers.stopping.is_set():
            return
        log.info("batch %s: trying its launch again in %.1f s", batch_id, seconds)
        self._later.once(f"launch-{batch_id}", seconds, lambda: self.launch(batch_id))
