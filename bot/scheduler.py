"""The scheduler: APScheduler runs the batch watcher every few seconds.

One job, never overlapping itself (``max_instances=1``, missed runs coalesced),
so a slow Flywheel delays progress updates instead of piling them up.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from bot.service.launch.watcher import BatchWatcher

log = logging.getLogger(__name__)

WATCHER_JOB = "batch-watcher"


def start_scheduler(watcher: BatchWatcher, *, interval: float) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        watcher.tick,
        "interval",
        seconds=interval,
        id=WATCHER_JOB,
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    log.info("batch watcher every %.0f s", interval)
    return scheduler
