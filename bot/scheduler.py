"""The scheduler: APScheduler runs the batch watcher, the daily digests and the pass over
runs launched outside fwbot.

- **Batch watcher** every few seconds: one job, never overlapping itself
  (``max_instances=1``, missed runs coalesced), so a slow Flywheel delays progress
  updates instead of piling them up.
- **Digests**: one cron job per subscription with a digest (``digest-<id>``), at its
  HH:MM in its own time zone (``CronTrigger(timezone=...)``). They are built at start
  and rebuilt whenever this process changes a subscription, and every
  ``sync_interval`` seconds (another replica may have changed one). A run that starts
  late (a busy or restarted process) still runs within ``DIGEST_GRACE``.
- **Outside runs** every ``outside_interval`` seconds: batches launched outside fwbot
  on followed projects (``OutsideRuns``).

Every post these make is claimed in the store first, so replicas each running this
scheduler post it once. APScheduler's own INFO lines (one per job run) are kept quiet.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.observe import metrics
from bot.observe.context import scoped
from bot.service.later import Later
from bot.service.launch.watcher import BatchWatcher
from bot.service.subscriptions import DigestSlot, Notifications

log = logging.getLogger(__name__)

WATCHER_JOB = "batch-watcher"
OUTSIDE_RUNS_JOB = "outside-runs"
DIGEST_SYNC_JOB = "sync-digests"
DIGEST_PREFIX = "digest-"
DIGEST_GRACE = 3600  # seconds a digest may start late and still run
OUTSIDE_RUNS_INTERVAL = 180.0
DIGEST_SYNC_INTERVAL = 60.0


class SchedulerLater:
    """The service's ``Later`` port on APScheduler: a one-shot ``date`` job per name.

    Built (not started) by the composition root before the services, so that the
    launches it schedules and the watcher's jobs share one scheduler; it starts at the
    first one-shot or at ``start_scheduler``, whichever comes first."""

    def __init__(self, scheduler: BackgroundScheduler | None = None) -> None:
        self.scheduler = scheduler or BackgroundScheduler(timezone="UTC")
        self._lock = threading.Lock()

    def once(self, job_id: str, seconds: float, run: Callable[[], None]) -> None:
        self.start()
        self.scheduler.add_job(
            scoped("later", run),
            "date",
            run_date=datetime.now(UTC) + timedelta(seconds=seconds),
            id=job_id,
            replace_existing=True,
            misfire_grace_time=None,  # late is fine: it only tries a launch again
        )

    def start(self) -> None:
        with self._lock:
            if not self.scheduler.running:
                self.scheduler.start()

    def shutdown(self) -> None:
        with self._lock:
            if self.scheduler.running:
                self.scheduler.shutdown(wait=False)


def start_scheduler(
    watcher: BatchWatcher,
    *,
    interval: float,
    later: Later | None = None,
    notifications: Notifications | None = None,
    outside_interval: float = OUTSIDE_RUNS_INTERVAL,
    sync_interval: float = DIGEST_SYNC_INTERVAL,
) -> BackgroundScheduler:
    """Start the watcher and, given ``notifications``, the digests and the outside-runs pass
    (on ``later``'s scheduler: the services' one-shot launches run there too)."""
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    shared = later if isinstance(later, SchedulerLater) else SchedulerLater()
    scheduler = shared.scheduler
    metrics.observe_scheduler(scheduler, prefixes=(DIGEST_PREFIX,))  # lag and skipped runs
    scheduler.add_job(
        scoped("watch", watcher.tick),
        "interval",
        seconds=interval,
        id=WATCHER_JOB,
        max_instances=1,
        coalesce=True,
    )
    if notifications is not None:
        digests = DigestJobs(scheduler, notifications)
        digests.sync()
        notifications.on_change(digests.sync)
        scheduler.add_job(
            scoped("sync", digests.sync),
            "interval",
            seconds=sync_interval,
            id=DIGEST_SYNC_JOB,
            max_instances=1,
            coalesce=True,
        )
        scheduler.add_job(
            scoped("outside", notifications.outside_runs_pass),
            "interval",
            seconds=outside_interval,
            id=OUTSIDE_RUNS_JOB,
            max_instances=1,
            coalesce=True,
        )
    shared.start()
    log.info("batch watcher every %.0f s", interval)
    if notifications is not None:
        log.info(
            "digests on their subscriptions' times; outside runs every %.0f s", outside_interval
        )
    return scheduler


class DigestJobs:
    """Keeps one cron job per digest subscription in step with the store."""

    def __init__(self, scheduler: BackgroundScheduler, notifications: Notifications) -> None:
        self._scheduler = scheduler
        self._notifications = notifications
        self._slots: dict[str, DigestSlot] = {}
        self._lock = threading.Lock()

    def sync(self) -> None:
        try:
            wanted = {slot.job_id: slot for slot in self._notifications.digest_slots()}
        except Exception:  # the database is away: keep the jobs we have, retry next sync
            log.exception("digest schedule not refreshed")
            return
        with self._lock:
            for job_id in [j for j in self._slots if self._slots[j] != wanted.get(j)]:
                if self._scheduler.get_job(job_id) is not None:
                    self._scheduler.remove_job(job_id)
                del self._slots[job_id]
            for job_id, slot in wanted.items():
                if job_id not in self._slots:
                    self._scheduler.add_job(
                        scoped("digest", self._notifications.run_digest),
                        trigger(slot),
                        args=[slot.subscription_id],
                        id=job_id,
                        replace_existing=True,
                        max_instances=1,
                        coalesce=True,
                        misfire_grace_time=DIGEST_GRACE,
                    )
                    self._slots[job_id] = slot

    def jobs(self) -> dict[str, Any]:
        """Job id -> APScheduler job, for the digests now scheduled."""
        with self._lock:
            return {j: self._scheduler.get_job(j) for j in self._slots}


def trigger(slot: DigestSlot) -> CronTrigger:
    """Every day at the slot's HH:MM on the wall clock of its time zone."""
    return CronTrigger(hour=slot.hour, minute=slot.minute, timezone=slot.timezone)
