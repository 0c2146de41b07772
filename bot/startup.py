"""The start-up work of `fwbot serve` that needs Flywheel, retried until it succeeds.

``fwbot serve`` answers Slack from its first second, whether Flywheel is up or not:
the work that needs Flywheel runs here, in a thread of its own, with a capped backoff
(1 s doubling to 30 s) and one WARNING line per failed attempt, never a traceback:

1. Flywheel's login check (``Runtime.connect_flywheel``): until it passes, commands that
   need Flywheel get the short ``FlywheelUnavailable`` answer;
2. the launches this bot had under way before a restart are resumed;
3. the batch watcher starts (progress messages, completion, resumes after an outage).

``not_ready()`` is what ``GET /readyz`` answers: None once all three are done, else why
not ("starting: Flywheel unreachable (...)").
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from bot.bootstrap import Runtime
from bot.errors import FwbotError
from bot.observe.context import request_scope

log = logging.getLogger(__name__)

FIRST_DELAY = 1.0  # seconds before the first retry; doubles after each failure
MAX_DELAY = 30.0  # up to this


class Startup:
    """Runs the start-up work in a daemon thread until it succeeds or ``stop()``."""

    def __init__(
        self,
        runtime: Runtime,
        start_watcher: Callable[[], Any],
        *,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
    ) -> None:
        self._runtime = runtime
        self._start_watcher = start_watcher
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # start_watcher vs stop(): never a watcher after stop
        self._reason = "starting: connecting to Flywheel"
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self.scheduler: Any = None  # what start_watcher returned (shut down by stop())
        self.attempts = 0

    def not_ready(self) -> str | None:
        """None when ready, else the reason (what ``/readyz`` answers with its 503)."""
        return None if self._ready.is_set() else self._reason

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    def start(self) -> Startup:
        self._thread = threading.Thread(target=self.run, name="fwbot-startup", daemon=True)
        self._thread.start()
        return self

    def run(self) -> None:
        delay = self._first_delay
        while not self._stopping.is_set():
            self.attempts += 1
            try:
                self._attempt()
                return
            except FwbotError as err:
                why = f"Flywheel unreachable ({err.message})"
            except Exception as exc:  # e.g. the database: the same retry, one line
                why = f"{type(exc).__name__}: {exc}"
            if self._stopping.is_set():
                return
            self._reason = f"starting: {why}"
            log.warning(
                "fwbot: not ready, %s; attempt %d, retrying in %g s",
                why,
                self.attempts,
                delay,
            )
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, self._max_delay)

    def _attempt(self) -> None:
        self._runtime.connect_flywheel()
        with request_scope(prefix="resume"):
            resumed = self._runtime.services.background.resume_unfinished()
            if resumed:
                log.info("fwbot: resuming launches %s", ", ".join(resumed))
        with self._lock:
            if self._stopping.is_set():
                return
            self.scheduler = self._start_watcher()
            self._ready.set()
        if self.attempts > 1:
            log.info("fwbot: ready after %d attempts", self.attempts)

    def stop(self) -> None:
        """Stop retrying and stop the watcher, if it was started."""
        with self._lock:
            self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
