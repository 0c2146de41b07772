"""fwbot's Prometheus metrics: defined once here, moved by small hooks where things happen,
served as ``GET /metrics`` (``render()``) by both servers of ``bot.slack.runner``.

The metrics live on fwbot's own ``REGISTRY``, not prometheus_client's global default: the
page then holds fwbot's metrics and the process collectors chosen here, never whatever
another library registers on the default at import, and the store-backed collector
(``watch_batches``) is swapped per running bot instead of clashing with an earlier one
(tests build several bots in one process). Every label has a bounded set of values: the
callers pass command names from the registry (else ``other``), Flywheel routes with their
ids replaced by ``{id}``, Slack method names and error codes.

- ``fwbot_commands_total{command, outcome}``: /fw commands and button clicks answered
- ``fwbot_ack_seconds``: from receiving a Slack request to its ack leaving bolt
- ``fwbot_flywheel_requests_total{route, status}``: HTTP requests to Flywheel, retries
  included
- ``fwbot_batches{state}``: batches in the store, by state (read at scrape time)
- ``fwbot_jobs_launched_total{mode}``: jobs and analyses Flywheel accepted from fwbot
- ``fwbot_scheduler_lag_seconds{job}``: how late a scheduled job was handed to its thread
- ``fwbot_scheduler_skipped_runs_total{job, reason}``: runs not made (still running, missed)
- ``fwbot_slack_api_errors_total{method, error}``: Web API calls answered ``ok: false`` or
  failed
- ``fwbot_slack_rate_limited_total{method}``: Web API calls answered 429

docs/operations.md says what each means for an operator, with alert rules.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
disable_created_metrics()  # no `*_created` series beside each counter: half the page
REGISTRY = CollectorRegistry(auto_describe=True)
BATCHES_READ_TIMEOUT = 2.0  # seconds a scrape waits for the batch counts before leaving them out
# The process (memory, CPU, open files), the interpreter and its garbage collector, as
# prometheus_client puts them on its default registry.
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

# -- commands -------------------------------------------------------------------------
OK = "ok"  # answered as asked
USER_ERROR = "user_error"  # a mistake in what was typed, or something not there / not possible
DENIED = "denied"  # the actor may not (permission, or no Flywheel account for them)
UNAVAILABLE = "unavailable"  # Flywheel could not be reached or was busy: nothing done
ERROR = "error"  # a fault of fwbot's own ("something went wrong (ref ...)")
BUSY = "busy"  # the answer pool was full: the user was told to try again
OUTCOMES = (OK, USER_ERROR, DENIED, UNAVAILABLE, ERROR, BUSY)
OTHER = "other"  # a command or click fwbot does not know

COMMANDS = Counter(
    "fwbot_commands",
    "/fw commands and button clicks answered, by command (a subcommand or button action_id, "
    "else other) and outcome (ok, user_error, denied, unavailable, error, busy).",
    ["command", "outcome"],
    registry=REGISTRY,
)

# -- acks -----------------------------------------------------------------------------
# Slack gives up on an ack after 3 s; fwbot's budget is a p99 under 300 ms.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0)
ACK = Histogram(
    "fwbot_ack_seconds",
    "Seconds from receiving a Slack request (HTTP POST or Socket Mode envelope) to its ack "
    "leaving bolt; Slack gives up after 3 s.",
    buckets=ACK_BUCKETS,
    registry=REGISTRY,
)

# -- Flywheel -------------------------------------------------------------------------
FLYWHEEL_REQUESTS = Counter(
    "fwbot_flywheel_requests",
    "HTTP requests to Flywheel, each retry counted, by route (method and path, ids as {id}) "
    "and status (the HTTP status, or error when no answer came).",
    ["route", "status"],
    registry=REGISTRY,
)
JOBS_LAUNCHED = Counter(
    "fwbot_jobs_launched",
    "Jobs and analyses Flywheel accepted from fwbot's launches, by mode (per-session: one "
    "request each; batch-api: a Flywheel batch run).",
    ["mode"],
    registry=REGISTRY,
)
for _mode in ("per-session", "batch-api"):
    JOBS_LAUNCHED.labels(_mode)

# -- the scheduler --------------------------------------------------------------------
SCHEDULER_LAG = Histogram(
    "fwbot_scheduler_lag_seconds",
    "Seconds between a scheduler job's due time and its hand-over to the scheduler's "
    "threads, by job (batch-watcher, outside-runs, sync-digests, digest).",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0),
    registry=REGISTRY,
)
SCHEDULER_SKIPPED = Counter(
    "fwbot_scheduler_skipped_runs",
    "Scheduler runs not made, by job and reason (running: the previous run had not ended; "
    "missed: too late to run).",
    ["job", "reason"],
    registry=REGISTRY,
)

# -- Slack ----------------------------------------------------------------------------
SLACK_ERRORS = Counter(
    "fwbot_slack_api_errors",
    "Slack Web API calls that failed, each retry counted, by method and error (Slack's "
    "error code for ok: false, http_<status>, or connection).",
    ["method", "error"],
    registry=REGISTRY,
)
SLACK_RATE_LIMITED = Counter(
    "fwbot_slack_rate_limited",
    "Slack Web API calls answered 429 (rate limited), by method.",
    ["method"],
    registry=REGISTRY,
)


# -- hooks ----------------------------------------------------------------------------
def count_command(command: str, outcome: str) -> None:
    COMMANDS.labels(command, outcome).inc()


def observe_ack(seconds: float) -> None:
    ACK.observe(max(0.0, seconds))


def flywheel_request(route: str, status: str) -> None:
    FLYWHEEL_REQUESTS.labels(route, status).inc()


def jobs_launched(mode: str, count: int = 1) -> None:
    if count > 0:
        JOBS_LAUNCHED.labels(mode).inc(count)


def slack_error(method: str, error: str) -> None:
    SLACK_ERRORS.labels(method, error).inc()


def slack_rate_limited(method: str) -> None:
    SLACK_RATE_LIMITED.labels(method).inc()


def observe_scheduler(scheduler: Any, *, prefixes: Iterable[str] = ()) -> None:
    """Listen to an APScheduler 3 scheduler: each submitted run's lag behind its due time,
    and each run skipped. Job ids starting with one of ``prefixes`` (``digest-``, one job
    per subscription) are counted under the prefix (``digest``), so labels stay bounded."""
    from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, EVENT_JOB_SUBMITTED

    kinds = tuple(prefixes)

    def job_of(job_id: str) -> str:
        return next((p.rstrip("-_") for p in kinds if job_id.startswith(p)), job_id)

    def listen(event: Any) -> None:
        job = job_of(str(event.job_id))
        if event.code == EVENT_JOB_SUBMITTED:
            due = list(event.scheduled_run_times or ())
            if due:
                SCHEDULER_LAG.labels(job).observe(
                    max(0.0, (datetime.now(UTC) - max(due)).total_seconds())
                )
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            SCHEDULER_SKIPPED.labels(job, "running").inc()
        else:
            SCHEDULER_SKIPPED.labels(job, "missed").inc()

    scheduler.add_listener(listen, EVENT_JOB_SUBMITTED | EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)


# -- batches by state, read at scrape time ----------------------------------------------
class _Batches(Collector):
    """``fwbot_batches{state}`` from whatever ``watch_batches`` was given: one GROUP BY
    query per scrape. A failing read, or one still running after ``read_timeout`` seconds
    (a hung database), leaves the metric out of that scrape and says so at DEBUG: a scrape
    never fails or hangs because of the database. The read runs in a daemon thread of its
    own, one at a time: scrapes during a hung read wait for it, not start another."""

    def __init__(self, read_timeout: float = BATCHES_READ_TIMEOUT) -> None:
        self._lock = threading.Lock()
        self._source: Callable[[], Mapping[str, int]] | None = None
        self.read_timeout = read_timeout
        self._reading: _Read | None = None

    def watch(self, source: Callable[[], Mapping[str, int]] | None) -> None:
        with self._lock:
            self._source = source

    def describe(self) -> Iterable[Metric]:
        return [self._family()]

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            source = self._source
        if source is None:
            return
        read = self._read(source)
        if not read.done.wait(self.read_timeout):
            log.debug("fwbot_batches left out of this scrape: no answer in %g s", self.read_timeout)
            return
        if read.error is not None:  # the database is down: the readiness check says so
            log.debug("fwbot_batches left out of this scrape: %s", read.error)
            return
        counts = read.counts
        family = self._family()
        for state, count in sorted(counts.items()):
            family.add_metric([state], count)
        yield family

    def _read(self, source: Callable[[], Mapping[str, int]]) -> _Read:
        """The read under way, or a new one started in a daemon thread (a thread that
        hangs on the database never holds up the process's exit)."""
        with self._lock:
            if self._reading is None or self._reading.done.is_set():
                self._reading = _Read(source)
                runner = threading.Thread(target=self._reading.run, name="fwbot-metrics")
                runner.daemon = True
                runner.start()
            return self._reading

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "fwbot_batches", "Batches in fwbot's store, by state.", labels=["state"]
        )


class _Read:
    """One read of the batch counts: ``done`` once it has ``counts`` or an ``error``."""

    def __init__(self, source: Callable[[], Mapping[str, int]]) -> None:
        self._source = source
        self.done = threading.Event()
        self.counts: Mapping[str, int] = {}
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            self.counts = self._source()
        except Exception as exc:
            self.error = exc
        finally:
            self.done.set()


_BATCHES = _Batches()
REGISTRY.register(_BATCHES)


def watch_batches(source: Callable[[], Mapping[str, int]]) -> Callable[[], None]:
    """Serve ``fwbot_batches`` from ``source`` (state -> count); returns the undo."""
    _BATCHES.watch(source)

    def unwatch() -> None:
        with _BATCHES._lock:
            if _BATCHES._source is source:
                _BATCHES._source = None

    return unwatch


def render() -> bytes:
    """The text exposition format of every metric (``GET /metrics``)."""
    return generate_latest(REGISTRY)


def sample(name: str, labels: Mapping[str, str] | None = None) -> float:
    """The current value of one sample (0.0 when absent): for tests and the console."""
    value = REGISTRY.get_sample_value(name, dict(labels or {}))
    return float(value) if value is not None else 0.0
