"""One message per batch, updated in place; launch failures in its thread.

The message's place (channel, id) is kept in the store, so a restarted bot
keeps updating the same message instead of posting a new one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from bot.domain import (
    JobRecord,
    batch_tag,
)
from bot.flywheel.gateway import FlywheelGateway
from bot.service.launch.progress import BatchView, build_view
from bot.service.notify import BatchNotifier
from bot.store.batches import BatchRepo
from bot.store.messages import MessageRepo

log = logging.getLogger(__name__)

PROGRESS = "progress"
CONSOLE_CHANNEL = "console"


class BatchReporter:
    def __init__(
        self,
        gateway: FlywheelGateway,
        batches: BatchRepo,
        messages: MessageRepo,
        notifier: BatchNotifier,
    ) -> None:
        self._gateway = gateway
        self._batches = batches
        self._messages = messages
        self.notifier = notifier
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._shown: dict[str, tuple[object, ...]] = {}
        self._unsent: set[str] = set()  # batches whose last update did not reach the channel

    def view(self, batch_id: str, jobs: Sequence[JobRecord] | None = None) -> BatchView:
        """The store's targets plus one tagged job query (none before anything launched,
        nor when the caller just read the batch's ``jobs`` itself)."""
        batch = self._batches.get_existing(batch_id)
        targets = self._batches.targets(batch_id)
        if jobs is None and not batch.is_plan:
            jobs = self._gateway.jobs_tagged(batch_tag(batch_id))
        return build_view(batch, targets, list(jobs or []))

    def view_just_launched(self, batch_id: str) -> BatchView:
        """Right after a launch every launched job is queued: no need to read 1,329 jobs
        back from Flywheel to say so (the watcher reads their states on its next pass)."""
        batch = self._batches.get_existing(batch_id)
        targets = self._batches.targets(batch_id)
        return build_view(batch, targets, [], assume_queued=True)

    def publish(self, batch_id: str, view: BatchView | None = None) -> BatchView:
        """Post the batch's message the first time, then update it when what it shows changed."""
        view = view or self.view(batch_id)
        with self._lock_for(batch_id):
            channel = view.batch.channel_id or CONSOLE_CHANNEL
            known = self._messages.get(batch_id, PROGRESS, channel)
            if known is None:
                message_id = self.notifier.post(channel, view)
                if message_id:  # "" = not posted (e.g. Slack down): post again next time
                    self._messages.save(batch_id, PROGRESS, channel, message_id)
                self._settle(batch_id, view, sent=bool(message_id))
            elif self._shown.get(batch_id) != view.signature():
                self._settle(batch_id, view, sent=self.notifier.update(channel, known.ts, view))
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
        channel = view.batch.channel_id or CONSOLE_CHANNEL
        known = self._messages.get(view.batch.id, PROGRESS, channel)
        if known is None:
            return
        self.notifier.post_failures(channel, known.ts, view)

    def _lock_for(self, batch_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(batch_id, threading.Lock())
