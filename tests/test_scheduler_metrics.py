"""The scheduler's metrics: each run's lag behind its due time, and runs skipped because
the previous one was still running (``bot.observe.metrics.observe_scheduler``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from bot.observe import metrics


def wait_until(probe: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert probe(), "timed out"


def test_lag_is_observed_per_job_kind_and_overlapping_runs_are_counted_as_skipped() -> None:
    lag = "fwbot_scheduler_lag_seconds_count"
    skipped = "fwbot_scheduler_skipped_runs_total"
    before = (
        metrics.sample(lag, {"job": "digest"}),
        metrics.sample(skipped, {"job": "slow", "reason": "running"}),
    )
    release = threading.Event()
    scheduler = BackgroundScheduler(timezone="UTC")
    metrics.observe_scheduler(scheduler, prefixes=("digest-",))
    scheduler.add_job(lambda: None, "interval", seconds=0.05, id="digest-42")
    scheduler.add_job(release.wait, "interval", seconds=0.05, id="slow", max_instances=1)
    scheduler.start()
    try:
        wait_until(lambda: metrics.sample(lag, {"job": "digest"}) >= before[0] + 2)
        wait_until(
            lambda: metrics.sample(skipped, {"job": "slow", "reason": "running"}) > before[1]
        )
    finally:
        release.set()
        scheduler.shutdown(wait=False)
    assert metrics.sample(lag, {"job": "digest-42"}) == 0  # one label for every digest
