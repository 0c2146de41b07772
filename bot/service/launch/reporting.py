"""One message per batch, updated in place; launch failures, the completion summary and
the stuck-jobs alert in its thread.

The message's place (channel, id) is kept in the store (``slack_messages``), and so is
every thread post (kinds ``summary``, ``summary-csv``, ``stuck``), so a restarted bot keeps
updating the same message and never posts a thread reply twice. A channel that refuses
posts (``ChannelGone``: the bot was removed, the channel archived) is recorded too (kind
``channel-gone``): it is logged once, and the batch's posts stop trying that channel.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from bot.domain import (
    JobRecord,
    batch_tag,
)
from bot.flywheel.gateway import FlywheelGateway
from bot.service.accounts.acting import LauncherKeys, ServiceKeyOnly
from bot.service.launch.progress import BatchView, StuckReport, build_view
from bot.service.notify import BatchNotifier, ChannelGone
from bot.store.batches import BatchRepo
from bot.store.messages import MessageRepo, SlackMessage

log = logging.getLogger(__name__)

PROGRESS = "progress"
SUMMARY = "summary"
SUMMARY_CSV = "summary-csv"
STUCK = "stuck"
GONE = "channel-gone"
CONSOLE_CHANNEL = "console"
SETTLED = "-"  # the id recorded for a post that has nowhere to go

T = TypeVar("T")
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class _Gone(Exception):
    """The channel refused the post: recorded, nothing more to try there."""


class BatchReporter:
    def __init__(
        self,
        gateway: FlywheelGateway,
        batches: BatchRepo,
        messages: MessageRepo,
        notifier: BatchNotifier,
        *,
        clock: Clock = utc_now,
        site_url: str = "",
        keys: LauncherKeys | None = None,
    ) -> None:
        self._gateway = gateway
        self._keys: LauncherKeys = keys or ServiceKeyOnly()
        self._batches = batches
        self._messages = messages
        self.notifier = notifier
        self._clock = clock
        self._site_url = site_url
        self._locks: dict[str, threading.RLock] = {}
        self._guard = threading.Lock()
        self._shown: dict[str, tuple[object, ...]] = {}
        self._unsent: set[str] = set()  # batches whose last update did not reach the channel
        self._gone: set[tuple[str, str]] = set()  # (batch, channel) known to refuse posts

    def now(self) -> datetime:
        """The reporter's clock (Flywheel's time in tests on a simulated clock)."""
        return self._clock()

    def view(self, batch_id: str, jobs: Sequence[JobRecord] | None = None) -> BatchView:
        """The store's targets plus one tagged job query (none before anything launched,
        nor when the caller just read the batch's ``jobs`` itself)."""
        batch = self._batches.get_existing(batch_id)
        targets = self._batches.targets(batch_id)
        if jobs is None and not batch.is_plan:
            with self._keys.as_launcher(batch):  # /users/self/jobs: the launcher's jobs
                jobs = self._gateway.jobs_tagged(batch_tag(batch_id))
        return build_view(
            batch, targets, list(jobs or []), as_of=self._clock(), site_url=self._site_url
        )

    def view_just_launched(self, batch_id: str) -> BatchView:
        """Right after a launch every launched job is queued: no need to read 1,329 jobs
        back from Flywheel to say so (the watcher reads their states on its next pass)."""
        batch = self._batches.get_existing(batch_id)
        targets = self._batches.targets(batch_id)
        return build_view(
            batch, targets, [], assume_queued=True, as_of=self._clock(), site_url=self._site_url
        )

    def publish(self, batch_id: str, view: BatchView | None = None) -> BatchView:
        """Post the batch's message the first time, then update it when what it shows changed."""
        view = view or self.view(batch_id)
        with self._lock_for(batch_id):
            channel = _channel(view)
            known = self._known(batch_id, channel)
            if GONE in known:
                self._settle(batch_id, view, sent=True)
                return view
            progress = known.get(PROGRESS)
            try:
                if progress is None:
                    message_id = self._deliver(view, channel, self.notifier.post, channel, view)
                    if message_id:  # "" = not posted (e.g. Slack down): post again next time
                        self._messages.save(batch_id, PROGRESS, channel, message_id)
                    self._settle(batch_id, view, sent=bool(message_id))
                elif self._shown.get(batch_id) != view.signature():
                    sent = self._deliver(
                        view, channel, self.notifier.update, channel, progress.ts, view
                    )
                    self._settle(batch_id, view, sent=sent)
            except _Gone:
                self._settle(batch_id, view, sent=True)
        return view

    def retry_unsent(self) -> None:
        """Publish again the batches whose last post or update failed (the watcher's tick),
        so a final "complete" that Slack dropped is not lost."""
        for batch_id in list(self._unsent):
            self.publish(batch_id)

    def _settle(self, batch_id: str, view: BatchView, *, sent: bool) -> None:
        if sent:
            self._shown[batch_id] = view.signature()
            self._unsent.discard(batch_id)
        else:
            self._unsent.add(batch_id)

    def publish_failures(self, view: BatchView) -> None:
        """Launch failures go in the thread of the batch's message, once per launch pass."""
        if not view.failures:
            return
        channel = _channel(view)
        known = self._known(view.batch.id, channel)
        progress = known.get(PROGRESS)
        if progress is None or GONE in known:
            return
        try:
            self._deliver(view, channel, self.notifier.post_failures, channel, progress.ts, view)
        except _Gone:
            return

    # -- thread posts made once: the summary and the stuck alert -----------------------
    def post_summary(self, view: BatchView) -> bool:
        """The completion summary (and, where the notifier needs one, the CSV of every
        failed session) in the message's thread; True once settled: posted now or before,
        or nowhere to post (the channel is gone). False: try again later.

        Each part is recorded in the store as soon as it is posted, so a retry (this
        process or another, after a crash) posts only what is missing."""
        batch_id = view.batch.id
        with self._lock_for(batch_id):
            channel = _channel(view)
            thread = self._thread_for(view, channel)
            if thread is None:
                return True  # the channel is gone
            known = self._known(batch_id, channel)
            try:
                if SUMMARY not in known:
                    ts = self._deliver(
                        view, channel, self.notifier.post_summary, channel, thread, view
                    )
                    if not ts:
                        return False
                    self._messages.save(batch_id, SUMMARY, channel, ts, thread or None)
                if (view.failed_jobs or view.without_outputs or view.failures) and (
                    SUMMARY_CSV not in known
                ):
                    if not self._deliver(
                        view, channel, self.notifier.share_failures, channel, thread, view
                    ):
                        return False
                    self._messages.save(batch_id, SUMMARY_CSV, channel, SETTLED, thread or None)
            except _Gone:
                return True
            return True

    def post_stuck(self, view: BatchView, report: StuckReport) -> bool:
        """The stuck-jobs alert in the message's thread; True once settled (as above)."""
        batch_id = view.batch.id
        with self._lock_for(batch_id):
            channel = _channel(view)
            thread = self._thread_for(view, channel)
            if thread is None:
                return True
            if STUCK in self._known(batch_id, channel):
                return True
            try:
                ts = self._deliver(
                    view, channel, self.notifier.post_stuck, channel, thread, view, report
                )
            except _Gone:
                return True
            if not ts:
                return False
            self._messages.save(batch_id, STUCK, channel, ts, thread or None)
            return True

    def _thread_for(self, view: BatchView, channel: str) -> str | None:
        """The batch message's id, posting it first if it never got through ("" when it
        still cannot be: the reply then goes to the channel itself); None: channel gone."""
        known = self._known(view.batch.id, channel)
        if GONE not in known and PROGRESS not in known:
            self.publish(view.batch.id, view)
            known = self._known(view.batch.id, channel)
        if GONE in known:
            return None
        progress = known.get(PROGRESS)
        return progress.ts if progress is not None and progress.ts != SETTLED else ""

    # -- the one way every post goes ------------------------------------------------
    def _deliver(self, view: BatchView, channel: str, post: Callable[..., T], *args: object) -> T:
        try:
            return post(*args)
        except ChannelGone as gone:
            self._channel_gone(view.batch.id, channel, gone.reason)
            raise _Gone from gone

    def _channel_gone(self, batch_id: str, channel: str, reason: str) -> None:
        """Record it so no process tries again; log it once."""
        if (batch_id, channel) in self._gone:
            return
        self._gone.add((batch_id, channel))
        first = self._messages.get(batch_id, GONE, channel) is None
        self._messages.save(batch_id, GONE, channel, SETTLED)
        if first:
            log.warning(
                "batch %s: Slack channel %s refuses posts (%s); no more posts for this batch "
                "go there",
                batch_id,
                channel,
                reason,
            )

    def _known(self, batch_id: str, channel: str) -> dict[str, SlackMessage]:
        """This batch's recorded posts in ``channel``, by kind (one query)."""
        return {m.kind: m for m in self._messages.for_batch(batch_id) if m.channel == channel}

    def _lock_for(self, batch_id: str) -> threading.RLock:
        with self._guard:
            return self._locks.setdefault(batch_id, threading.RLock())


def _channel(view: BatchView) -> str:
    return view.batch.channel_id or CONSOLE_CHANNEL
