"""The port through which the service asks for work to run once, later: the scheduler.

The service may not import the scheduler (an adapter); the composition root hands it an
implementation (``bot.scheduler.SchedulerLater``). Jobs are named, so asking twice for
the same job replaces the first instead of running it twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Later(Protocol):
    def once(self, job_id: str, seconds: float, run: Callable[[], None]) -> None:
        """Run ``run`` once, ``seconds`` from now (replacing a pending job of that id)."""
        ...
