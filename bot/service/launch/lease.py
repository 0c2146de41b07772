"""The launch lease: the right of one process to launch one batch, kept in the store.

Claimed at the start of a run (``BatchRepo.claim_launch``), renewed by a heartbeat thread
every ``renew_every`` seconds whatever the run is doing (a long backoff, requests hanging
on a slow Flywheel), and given back at the end. Only a dead process lets it lapse, so a
restarted bot takes over within the store's lease (25 s). Once another process has taken
it the lease stays lost: the run stops at its next step.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bot.store.batches import BatchRepo

log = logging.getLogger(__name__)


class Lease:
    def __init__(
        self,
        batches: BatchRepo,
        batch_id: str,
        owner: str,
        *,
        renew_every: float,
        clock: Callable[[], float],
    ) -> None:
        self._batches = batches
        self.batch_id = batch_id
        self._owner = owner
        self._renew_every = renew_every
        self._clock = clock
        self._renewed = float("-inf")
        self._lost = False
        self._lock = threading.Lock()

    def claim(self) -> bool:
        """Take the lease; False while another live process holds it."""
        if not self._batches.claim_launch(self.batch_id, self._owner):
            return False
        self._renewed = self._clock()
        return True

    def seconds_left_elsewhere(self) -> float | None:
        """Seconds until the other holder's lease lapses unless renewed."""
        return self._batches.launch_lease_left(self.batch_id)

    @property
    def lost(self) -> bool:
        return self._lost

    def held(self) -> bool:
        """Still ours, renewing it when a renewal is due; False from the moment it is lost."""
        with self._lock:
            if self._lost:
                return False
            if self._clock() - self._renewed < self._renew_every:
                return True
            self._renewed = self._clock()
        if self._batches.claim_launch(self.batch_id, self._owner):
            return True
        log.warning("batch %s: launch lease lost to another process; stopping here", self.batch_id)
        self._lost = True
        return False

    def release(self) -> None:
        self._batches.release_launch(self.batch_id, self._owner)

    @contextmanager
    def kept_alive(self, on_beat: Callable[[], object]) -> Iterator[None]:
        """Renew the lease on a heartbeat thread while the block runs; ``on_beat`` runs at
        each beat (the run reads whether someone asked to cancel, from any replica)."""
        done = threading.Event()

        def beat() -> None:
            while not done.wait(self._renew_every):
                if not self.held():
                    return
                on_beat()

        heartbeat = threading.Thread(target=beat, name="fwbot-lease", daemon=True)
        heartbeat.start()
        try:
            yield
        finally:
            done.set()
            heartbeat.join()
