"""The daily digest of a subscription, at its time in its time zone.

The scheduler (``bot.scheduler``) runs ``DigestService.run(subscription id)`` on an
APScheduler cron trigger per subscription (``digest_slots``). A run covers the 24 hours
before it: per gear, the runs launched, ended complete and ended failed in that window
(by anyone: fwbot, scripts, the web UI), those still pending or running, and of those
the ones stuck far longer than the gear's usual time; one message, with the failures as
a CSV file in its thread. A day with nothing to say posts nothing. Each digest is
claimed once per subscription and local date (``digest:<id>:<YYYY-MM-DD>``), so two
replicas, or a run repeated after a restart, post it once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.delivery import Channel, NotDelivered, Posted
from bot.domain.subscriptions import DIGEST, Subscription
from bot.errors import FwbotError
from bot.flywheel.gateway import FlywheelGateway
from bot.service.notify import ChannelGone
from bot.service.subscriptions.events import session_labels
from bot.service.subscriptions.ports import Digest, SubscriptionNotifier
from bot.service.subscriptions.posting import ChannelPosts
from bot.service.subscriptions.runs import StuckAfter, day_counts, failed_run, failed_within
from bot.store.subscriptions import SubscriptionRepo

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class DigestSlot:
    """When one subscription's digest goes out: HH:MM every day in ``timezone``."""

    subscription_id: int
    hour: int
    minute: int
    timezone: str

    @property
    def job_id(self) -> str:
        return f"digest-{self.subscription_id}"


def digest_key(subscription_id: int, local_date: str) -> str:
    return f"digest:{subscription_id}:{local_date}"


class DigestService:
    def __init__(
        self,
        gateway: FlywheelGateway,
        subscriptions: SubscriptionRepo,
        posts: ChannelPosts,
        notifier: SubscriptionNotifier,
        *,
        clock: Callable[[], datetime],
        stuck_after: StuckAfter,
    ) -> None:
        self._gateway = gateway
        self._subscriptions = subscriptions
        self._posts = posts
        self._notifier = notifier
        self._clock = clock
        self._stuck_after = stuck_after

    def slots(self) -> list[DigestSlot]:
        """Every active subscription with a digest, and its time."""
        slots = []
        for sub in self._subscriptions.active():
            if sub.wants(DIGEST) and sub.digest_time:
                hour, minute = (int(x) for x in sub.digest_time.split(":"))
                slots.append(DigestSlot(sub.id, hour, minute, sub.timezone))
        return slots

    def run(self, subscription_id: int) -> bool:
        """Post the subscription's digest for today (its local date), once; True if this
        call posted it."""
        sub = self._subscriptions.get(subscription_id)
        if sub is None or sub.paused or not sub.wants(DIGEST):
            return False
        now = self._clock()
        local_date = now.astimezone(ZoneInfo(sub.timezone)).date().isoformat()
        key = digest_key(sub.id, local_date)
        if not self._posts.claim(key):
            return False
        try:
            digest = self.build(sub, now)
        except FwbotError as err:
            self._posts.give_back(key)
            log.warning("digest %s of %s not built: %s", sub.id, sub.project_label, err.message)
            return False
        if digest.nothing_to_say:
            self._posts.done(key)  # said for the day: nothing; no replica tries again
            log.info("digest %s of %s: nothing to say today", sub.id, sub.project_label)
            return False
        to = sub.posts_to
        return self._posts.finish(key, to, lambda: self._post(to, digest))

    def build(self, sub: Subscription, now: datetime) -> Digest:
        """The digest of the 24 hours before ``now`` (reads Flywheel, posts nothing)."""
        project = self._gateway.find_project(sub.project_label)
        start = now - WINDOW
        runs = []
        if project is not None:
            runs = [
                r
                for r in self._gateway.project_runs(project.project_id)
                if sub.gear is None or r.gear_name == sub.gear
            ]
        failed = failed_within(runs, start, now)
        labels = session_labels(self._gateway, project.project_id) if project and failed else {}
        return Digest(
            subscription_id=sub.id,
            project_label=sub.project_label,
            gear=sub.gear,
            local_date=now.astimezone(ZoneInfo(sub.timezone)).date(),
            timezone=sub.timezone,
            window_start=start,
            window_end=now,
            gears=day_counts(runs, start, now, self._stuck_after),
            failures=tuple(failed_run(r, labels) for r in failed),
        )

    def _post(self, channel: Channel, digest: Digest) -> bool:
        """The digest, then its failures' CSV in its thread (a digest posted nowhere has
        no thread: nothing more to share)."""
        posted = self._notifier.post_digest(channel, digest)
        if isinstance(posted, NotDelivered):
            return False
        if digest.failures and isinstance(posted, Posted):
            try:
                if not self._notifier.share_failures(channel, digest, posted.ts):
                    log.warning(
                        "digest %s: the failures CSV did not get through", digest.subscription_id
                    )
            except ChannelGone:
                raise
            except Exception:  # the digest is posted: the CSV is not worth posting it twice
                log.exception("digest %s: sharing the failures CSV failed", digest.subscription_id)
        return True
