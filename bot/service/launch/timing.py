"""How long a launch waits, retries and renews: one value, given to the launcher.

Every figure is a constructor parameter (``Launcher(timing=LaunchTiming(...))``), so a
test that needs a quick heartbeat or a short backoff says so where it builds the bot,
instead of patching a module constant for the whole process.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class LaunchTiming:
    deadline: float = 1800.0  # seconds transient errors are retried before a target fails
    first_backoff: float = 1.0  # seconds before the first retry round; doubles each round
    max_backoff: float = 60.0  # that nothing got through, up to this (full jitter below it)
    max_busy_wait: float = 60.0  # seconds; a longer Retry-After is capped
    renew_every: float = 5.0  # seconds between heartbeats of the launch lease
    pause_slice: float = 0.1  # seconds: a pause (backoff, Retry-After) looks for a cancel
    lease_margin: float = 0.5  # seconds after another holder's lease lapses before taking it
    cancel_concurrency: int = 8  # job cancellations in flight at once

    def backoff(self, attempt: int) -> float:
        """Full jitter: anywhere up to the doubled pause, so retries spread out."""
        top = min(self.max_backoff, self.first_backoff * 2.0 ** min(attempt, 32))
        return random.uniform(0.0, top)

    @property
    def deadline_words(self) -> str:
        d = self.deadline
        return f"{d / 60:g} min" if d >= 60 else f"{d:g} s"
