"""Readiness (``GET /readyz``): can this process do its work now?

A 503 from ``/readyz`` takes a replica out of its Service, so the answer must follow real
outages, not single slow calls. The rule:

1. **Start-up first.** Until the start-up work is done (``bot.startup``: Flywheel's login
   check passed, unfinished launches resumed, the batch watcher running) the answer is
   its reason, and nothing else is probed.
2. **Then each dependency** (the database, Flywheel, Slack) has a ``probe`` that raises
   when it cannot be reached: ``SELECT 1``, Flywheel's ``GET /api/auth/status``, Slack's
   ``auth.test`` (skipped when a Web API call succeeded within the interval); in Socket
   Mode also whether the WebSocket is connected.
3. **Probes run in the background**, at most once per ``interval`` seconds per
   dependency, and only while ``/readyz`` is being asked (a bot nobody probes makes no
   extra calls). ``/readyz`` answers at once from what is known: a probe never makes the
   probe request itself slow, and the probe's result is seen on the next request.
4. **Unready after ``failures`` probes in a row failed** (2 by default: with the default
   15 s interval, between 15 and 30 s of outage), **or when a probe has hung longer than
   ``timeout``** (a dependency that accepts connections but never answers). One
   successful probe makes the dependency ready again. So a single failed or slow call
   never turns a replica unready, and a real outage does within about two intervals
   (plus the orchestrator's own failure threshold).

Several replicas share Flywheel, the database and Slack: when one of those is down for
long, every replica turns unready together. That is what the probes are asked to say; in
HTTP mode it means Slack's requests fail at the load balancer until it is back (see
docs/operations.md).

A leaf module (standard library only), composed in ``bot.slack.serve``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

log = logging.getLogger(__name__)

INTERVAL = 15.0  # seconds between probes of one dependency (FWBOT_READINESS_INTERVAL)
FAILURES = 2  # probes in a row that must fail before the dependency counts as down
TIMEOUT = 60.0  # seconds a probe may take before the dependency counts as down


class Dependency:
    """One dependency and the state of its probes; ``reason()`` is None while it is up."""

    def __init__(
        self,
        name: str,
        probe: Callable[[], object],
        *,
        interval: float = INTERVAL,
        failures: int = FAILURES,
        timeout: float = TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._probe = probe
        self._interval = interval
        self._failures_needed = max(1, failures)
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._last_probe: float | None = None  # when the last probe ended
        self._running_since: float | None = None
        self.failures = 0  # probes in a row that failed
        self.error = ""  # what the last failed probe said

    @property
    def probing(self) -> bool:
        """Whether a probe is under way."""
        with self._lock:
            return self._running_since is not None

    def reason(self) -> str | None:
        """None when up; else why not. Starts a probe in the background when one is due."""
        now = self._clock()
        with self._lock:
            due = self._last_probe is None or now - self._last_probe >= self._interval
            if self._running_since is None and due:
                self._running_since = now
                threading.Thread(
                    target=self._run, name=f"fwbot-ready-{self.name}", daemon=True
                ).start()
            if self.failures >= self._failures_needed:
                return f"{self.name} unreachable ({self.error})"
            running = self._running_since
            if running is not None and now - running > self._timeout:
                return f"{self.name} unreachable (no answer within {self._timeout:g} s)"
            return None

    def _run(self) -> None:
        error = ""
        try:
            self._probe()
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}".strip().rstrip(":")[:300]
        with self._lock:
            self._running_since = None
            self._last_probe = self._clock()
            if error:
                self.failures += 1
                self.error = error
                if self.failures == self._failures_needed:
                    log.warning("not ready: %s unreachable (%s)", self.name, error)
            else:
                if self.failures >= self._failures_needed:
                    log.info("%s reachable again", self.name)
                self.failures = 0


class Readiness:
    """The start-up ``gate`` (None when done), then every dependency: what ``/readyz``
    calls, once per request; None when ready, else the reasons joined by ``; ``."""

    def __init__(
        self, gate: Callable[[], str | None], dependencies: Sequence[Dependency] = ()
    ) -> None:
        self._gate = gate
        self.dependencies = tuple(dependencies)

    def __call__(self) -> str | None:
        why = self._gate()
        if why is not None:
            return why
        reasons = [r for r in (d.reason() for d in self.dependencies) if r is not None]
        return "; ".join(reasons) or None
