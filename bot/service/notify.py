"""The port through which the service tells people about batches.

The service decides *when* to post or update a batch's message and remembers
where it went (``slack_messages``); an adapter decides *how* it looks and where it
shows (Slack's chat.postMessage / chat.update, or lines in the console). Each post
names its ``Channel`` and is answered with a ``Delivery`` (``bot.domain.delivery``), so
"posted", "try again" and "nowhere to post" cannot be mistaken for one another.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.domain.delivery import NOWHERE, Channel, Delivery
from bot.service.launch.progress import BatchView, StuckReport


class BatchNotifier(Protocol):
    """Posts about one batch in its ``channel``. A thread is the batch message's id (None:
    the message went nowhere, so a reply goes in the channel itself). Every method may
    raise ``ChannelGone``: the reporter then stops posting the batch in that channel."""

    def post(self, channel: Channel, view: BatchView) -> Delivery:
        """Post the batch's message (``Posted`` with its id in the channel, Slack's ``ts``)."""
        ...

    def update(self, channel: Channel, ts: str, view: BatchView) -> bool:
        """Rewrite the posted message ``ts`` in place; False if it did not get through."""
        ...

    def post_failures(self, channel: Channel, thread: str | None, view: BatchView) -> None:
        """List the sessions that failed to launch, in the message's thread."""
        ...

    def post_summary(self, channel: Channel, thread: str | None, view: BatchView) -> Delivery:
        """The completion summary, a reply in the message's thread shown in the channel
        too."""
        ...

    def share_failures(self, channel: Channel, thread: str | None, view: BatchView) -> bool:
        """Every failed session as a CSV file in the message's thread; False if it did not
        get through (True when there is nothing to share)."""
        ...

    def post_stuck(
        self, channel: Channel, thread: str | None, view: BatchView, report: StuckReport
    ) -> Delivery:
        """The stuck-jobs alert in the message's thread."""
        ...


class SilentNotifier:
    """For processes with nobody to tell (tools, benches, tests): every post goes
    nowhere, so it is settled at once and a finished batch is never read again to post it.
    The bot's own processes (``fwbot serve``, ``fwbot demo``) always have a notifier."""

    def post(self, channel: Channel, view: BatchView) -> Delivery:
        return NOWHERE

    def update(self, channel: Channel, ts: str, view: BatchView) -> bool:
        return True

    def post_failures(self, channel: Channel, thread: str | None, view: BatchView) -> None:
        return None

    def post_summary(self, channel: Channel, thread: str | None, view: BatchView) -> Delivery:
        return NOWHERE

    def share_failures(self, channel: Channel, thread: str | None, view: BatchView) -> bool:
        return True

    def post_stuck(
        self, channel: Channel, thread: str | None, view: BatchView, report: StuckReport
    ) -> Delivery:
        return NOWHERE


class ChannelGone(Exception):
    """Slack will not take posts in this channel any more (the bot was removed, the
    channel archived or deleted): whoever posts there should stop, and say so in the log."""

    def __init__(self, channel: str, reason: str) -> None:
        super().__init__(f"channel {channel} refuses posts: {reason}")
        self.channel = channel
        self.reason = reason


class BatchEvents(Protocol):
    """Who else hears that a fwbot batch ended or is stuck (channels subscribed to its
    project), besides the batch's own message and thread. Called once per event, by the
    process that claimed it."""

    def batch_ended(self, view: BatchView) -> None: ...

    def batch_stuck(self, view: BatchView, stuck_sessions: Sequence[str]) -> None: ...


class NoBatchEvents:
    """Nobody else to tell."""

    def batch_ended(self, view: BatchView) -> None:
        return None

    def batch_stuck(self, view: BatchView, stuck_sessions: Sequence[str]) -> None:
        return None
