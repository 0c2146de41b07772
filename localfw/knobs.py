"""Test knobs: per-request latency, injected errors and the request log.

Tests and benchmarks use these to see how many calls the bot makes per route
and how it copes with a slow or flaky Flywheel.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

# "drop" closes the connection before serving; "drop-after" serves the request, then closes
# without answering: the change happened but the client never hears (a lost answer).
# 400/403/404: Flywheel refusing a request (e.g. a role changed under the bot's feet).
ERROR_KINDS = ("500", "502", "503", "429", "400", "403", "404", "drop", "drop-after")


@dataclass(frozen=True)
class RequestRecord:
    method: str
    route: str  # template such as "/jobs/{id}", or the raw path when unrouted
    path: str
    filter: str | None
    status: int  # 0 for a dropped connection
    at: float = field(default_factory=time.monotonic)


class RequestLog:
    """Thread-safe list of served requests; read ``records``, ``count()``, ``reset()``."""

    def __init__(self) -> None:
        self._records: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._in_flight = 0
        self.max_in_flight = 0  # most requests being served at once since the last reset

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def started(self) -> None:
        """A request arrived (paired with ``finished``): tracks concurrency for benchmarks."""
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def finished(self) -> None:
        with self._lock:
            self._in_flight -= 1

    @property
    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def reset(self) -> None:
        with self._lock:
            self._records.clear()
            self.max_in_flight = self._in_flight

    def count(self, method: str | None = None, route: str | None = None) -> int:
        return sum(
            1
            for r in self.records
            if (method is None or r.method == method.upper())
            and (route is None or r.route == route)
        )

    def writes(self) -> list[RequestRecord]:
        """Every non-GET request: what the bot changed on Flywheel."""
        return [r for r in self.records if r.method != "GET"]

    def by_route(self) -> Counter[tuple[str, str]]:
        """(method, route template) -> number of requests."""
        return Counter((r.method, r.route) for r in self.records)


class Knobs:
    """Latency and error injection, seeded so a flaky run can be replayed."""

    def __init__(self, seed: int = 0) -> None:
        self.latency = 0.0
        self.error_rate = 0.0
        self.error_kinds: tuple[str, ...] = ("500",)
        self.error_route: re.Pattern[str] | None = None
        self.retry_after = 1
        self.hidden_routes: re.Pattern[str] | None = None
        # an outage: every matching request fails, on top of set_errors' random faults
        self.outage_kinds: tuple[str, ...] = ()
        self.outage_route: re.Pattern[str] | None = None
        # error kind ("outage 503" in an outage) -> the requests it was injected into
        self.injected: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def set_errors(
        self,
        rate: float,
        kinds: tuple[str, ...] | list[str] = ("500",),
        route: str | None = None,
        retry_after: int = 1,
    ) -> None:
        """Fail ``rate`` of requests (those whose path matches the ``route``
        regex, if given) with one of ``kinds``: 500, 502, 503, 429, 400, 403, 404, drop,
        drop-after."""
        bad = [k for k in kinds if k not in ERROR_KINDS]
        if bad:
            raise ValueError(f"unknown error kinds {bad}; choose from {ERROR_KINDS}")
        self.error_rate = rate
        self.error_kinds = tuple(kinds)
        self.error_route = re.compile(route) if route else None
        self.retry_after = retry_after

    def set_outage(self, route: str | None = None, kinds: tuple[str, ...] = ("503",)) -> None:
        """Fail every request (those matching the ``route`` regex, if given) with one of
        ``kinds`` until ``clear_outage()``, whatever ``set_errors`` does to the others: e.g.
        job creation down (``route=r"^POST /sessions/\\{cid\\}/analyses$"``) on a flaky site."""
        bad = [k for k in kinds if k not in ERROR_KINDS]
        if bad or not kinds:
            raise ValueError(f"unknown error kinds {bad}; choose from {ERROR_KINDS}")
        self.outage_route = re.compile(route) if route else None
        self.outage_kinds = tuple(kinds)

    def clear_outage(self) -> None:
        self.outage_kinds = ()
        self.outage_route = None

    def hide_routes(self, pattern: str | None) -> None:
        """Answer 405 for paths matching ``pattern``, like a Flywheel site that predates
        those endpoints (e.g. ``^/batch`` for a site without the batch API; a 404 from a
        route that exists means a missing container or file)."""
        self.hidden_routes = re.compile(pattern) if pattern else None

    def is_hidden(self, path: str) -> bool:
        return self.hidden_routes is not None and bool(self.hidden_routes.search(path))

    def clear(self) -> None:
        self.latency = 0.0
        self.error_rate = 0.0
        self.error_route = None
        self.clear_outage()

    def pick_error(self, method: str, path: str, route: str) -> str | None:
        """The error to inject for this request, or None to serve it."""
        outage, pattern = self.outage_kinds, self.outage_route
        if outage and _matches(pattern, method, path, route):
            with self._lock:
                kind = self._rng.choice(outage)
                self.injected[f"outage {kind}"] += 1
                return kind
        if self.error_rate <= 0 or not _matches(self.error_route, method, path, route):
            return None
        with self._lock:
            if self._rng.random() >= self.error_rate:
                return None
            kind = self._rng.choice(self.error_kinds)
            self.injected[kind] += 1
            return kind


def _matches(pattern: re.Pattern[str] | None, method: str, path: str, route: str) -> bool:
    """No pattern matches everything; else the path or "METHOD /route/{template}"."""
    return pattern is None or bool(pattern.search(path) or pattern.search(f"{method} {route}"))
