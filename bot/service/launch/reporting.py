"""One message per batch, updated in place; launch failures, the completion summary and
the stuck-jobs alert in its thread.

The message's place (channel, id) is kept in the store (``slack_messages``), and so is
every thread post (kinds ``summary``, ``summary-csv``, ``stuck``), so a restarted bot keeps
updating the same message and never posts a thread reply twice. A post that went nowhere
(a batch asked for in the console, a process with nobody to tell) is recorded as settled
too, so nothing reads the batch from Flywheel again to post it. A channel that refuses
posts (``ChannelGone``: the bot was removed, the channel archived) is recorded too (kind
``channel-gone``): it is logged once, and the batch's posts stop trying that channel.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from bot.domain import (
    JobRecord,
    batch_tag,
)
from bot.domain.delivery import Channel, Delivery, NotDelivered, Posted, channel_of
from bot.flywheel.gateway import FlywheelGateway
from bot.service.accounts.acting import LauncherKeys, ServiceKeyOnly
from bot.service.launch.progress import BatchView, StuckReport, build_view
from bot.service.locks import KeyedLocks
from bot.service.notify import BatchNotifier, ChannelGone
from bot.store.batches import BatchRepo
from bot.store.channels import channel_key
from bot.store.messages import MessageRepo, SlackMessage

log = logging.getLogger(__name__)

PROGRESS = "progress"
SUMMARY = "summary"
SUMMARY_CSV = "summary-csv"
STUCK = "stuck"
GONE = "channel-gone"
# What this process showed last, per batch, so an unchanged view is not sent again; the
# oldest are forgotten past this many (batches ended here are forgotten at once).
REMEMBERED = 1024

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
        self._locks: KeyedLocks[str] = KeyedLocks(reentrant=True)  # one batch's posts at a time
        self._guard = threading.Lock()  # over the two below
        self._shown: OrderedDict[str, tuple[object, ...]] = OrderedDict()
        self._unsent: set[str] = set()  # batches whose last update did not reach the channel

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
        with self._locks.hold(batch_id):
            channel = channel_of(view.batch.channel_id)
            known = self._known(batch_id, channel)
            if GONE in known:
                self._settle(batch_id, view, sent=True)
                return view
            progress = known.get(PROGRESS)
            try:
                if progress is None:
                    posted = self._deliver(view, channel, self.notifier.post, channel, view)
                    # not delivered (e.g. Slack down): posted again next time
                    self._settle(
                        batch_id, view, sent=self._keep(batch_id, PROGRESS, channel, posted)
                    )
                elif self._last_shown(batch_id) != view.signature():
                    sent = progress.ts is None or self._deliver(  # nowhere: nothing to update
                        view, channel, self.notifier.update, channel, progress.ts, view
                    )
                    self._settle(batch_id, view, sent=sent)
            except _Gone:
                self._settle(batch_id, view, sent=True)
        return view

    def retry_unsent(self) -> None:
        """Publish again the batches whose last post or update failed (the watcher's tick),
        so a final "complete" that Slack dropped is not lost."""
        with self._guard:
            unsent = list(self._unsent)
        for batch_id in unsent:
            self.publish(batch_id)

    def forget(self, batch_id: str) -> None:
        """The batch ended and its summary is settled: nothing it shows changes any more.
        (An update still unsent is kept, and sent on a later tick.)"""
        with self._guard:
            self._shown.pop(batch_id, None)

    def _last_shown(self, batch_id: str) -> tuple[object, ...] | None:
        with self._guard:
            return self._shown.get(batch_id)

    def _settle(self, batch_id: str, view: BatchView, *, sent: bool) -> None:
        with self._guard:
            if not sent:
                self._unsent.add(batch_id)
                return
            self._unsent.discard(batch_id)
            self._shown[batch_id] = view.signature()
            self._shown.move_to_end(batch_id)
            if len(self._shown) > REMEMBERED:
                self._shown.popitem(last=False)

    def publish_failures(self, view: BatchView) -> None:
        """Launch failures go in the thread of the batch's message, once per launch pass."""
        if not view.failures:
            return
        channel = channel_of(view.batch.channel_id)
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
        with self._locks.hold(batch_id):
            channel = channel_of(view.batch.channel_id)
            try:
                thread = self._thread_for(view, channel)
                known = self._known(batch_id, channel)
                if SUMMARY not in known:
                    posted = self._deliver(
                        view, channel, self.notifier.post_summary, channel, thread, view
                    )
                    if not self._keep(batch_id, SUMMARY, channel, posted, thread):
                        return False
                if (view.failed_jobs or view.without_outputs or view.failures) and (
                    SUMMARY_CSV not in known
                ):
                    if not self._deliver(
                        view, channel, self.notifier.share_failures, channel, thread, view
                    ):
                        return False
                    self._messages.save(batch_id, SUMMARY_CSV, channel_key(channel), None, thread)
            except _Gone:
                return True
            return True

    def post_stuck(self, view: BatchView, report: StuckReport) -> bool:
        """The stuck-jobs alert in the message's thread; True once settled (as above)."""
        batch_id = view.batch.id
        with self._locks.hold(batch_id):
            channel = channel_of(view.batch.channel_id)
            try:
                thread = self._thread_for(view, channel)
                if STUCK in self._known(batch_id, channel):
                    return True
                posted = self._deliver(
                    view, channel, self.notifier.post_stuck, channel, thread, view, report
                )
            except _Gone:
                return True
            return self._keep(batch_id, STUCK, channel, posted, thread)

    def _thread_for(self, view: BatchView, channel: Channel) -> str | None:
        """The batch message's id, posting it first if it never got through (None when it
        went nowhere or still cannot be posted: the reply then goes to the channel itself).
        Raises ``_Gone`` when the channel refuses posts."""
        known = self._known(view.batch.id, channel)
        if GONE not in known and PROGRESS not in known:
            self.publish(view.batch.id, view)
            known = self._known(view.batch.id, channel)
        if GONE in known:
            raise _Gone
        progress = known.get(PROGRESS)
        return progress.ts if progress is not None else None

    # -- the one way every post goes ------------------------------------------------
    def _deliver(
        self, view: BatchView, channel: Channel, post: Callable[..., T], *args: object
    ) -> T:
        try:
            return post(*args)
        except ChannelGone as gone:
            self._channel_gone(view.batch.id, channel, gone.reason)
            raise _Gone from gone

    def _keep(
        self,
        batch_id: str,
        kind: str,
        channel: Channel,
        posted: Delivery,
        thread: str | None = None,
    ) -> bool:
        """Record a settled post (with its id; with none when it went nowhere); False,
        recording nothing, when it was not delivered."""
        if isinstance(posted, NotDelivered):
            return False
        ts = posted.ts if isinstance(posted, Posted) else None
        self._messages.save(batch_id, kind, channel_key(channel), ts, thread)
        return True

    def _channel_gone(self, batch_id: str, channel: Channel, reason: str) -> None:
        """Record it so no process tries again; log it once (the store says if it is new)."""
        first = self._messages.get(batch_id, GONE, channel_key(channel)) is None
        self._messages.save(batch_id, GONE, channel_key(channel), None)
        if first:
            log.warning(
                "batch %s: Slack channel %s refuses posts (%s); no more posts for this batch "
                "go there",
                batch_id,
                channel_key(channel),
                reason,
            )

    def _known(self, batch_id: str, channel: Channel) -> dict[str, SlackMessage]:
        """This batch's recorded posts in ``channel``, by kind (one query)."""
        key = channel_key(channel)
        return {m.kind: m for m in self._messages.for_batch(batch_id) if m.channel == key}
