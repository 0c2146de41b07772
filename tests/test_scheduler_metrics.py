"""The scheduler's metrics: each run's lag behind its due time, and runs skipped because
the previous one was still running (``bot.observe.metrics.observe_scheduler``)."""

from __future__ import annotations

import threading

from apscheduler.schedulers.background import BackgroundScheduler

from bench.polling import eventually
from bot.observe import metrics


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
        eventually(
            lambda: metrics.sample(lag, {"job": "digest"}) >= before[0] + 2, "two digest runs"
        )
        eventually(
            lambda: metrics.sample(skipped, {"job": "slow", "reason": "running"}) > before[1],
            "a run of the slow job skipped",
        )
    finally:
        release.set()
        scheduler.shutdown(wait=False)
    assert metrics.sample(lag, {"job": "digest-42"}) == 0  # one label for every digest
