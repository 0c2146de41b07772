"""The port through which the service tells people about batches.

The service decides *when* to post or update a batch's message and remembers
where it went (``slack_messages``); an adapter decides *how* it looks and where it
shows (Slack's chat.postMessage / chat.update, or lines in the console).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.service.launch.progress import BatchView, StuckReport


class BatchNotifier(Protocol):
    """Every method may raise ``ChannelGone``: the reporter then stops posting the batch
    in that channel."""

    def post(self, channel: str, view: BatchView) -> str:
        """Post the batch's message; returns its id in the channel (Slack's ``ts``)."""
        ...

    def update(self, channel: str, message_id: str, view: BatchView) -> bool:
        """Rewrite the batch's message in place; False if it did not get through."""
        ...

    def post_failures(self, channel: str, thread_id: str, view: BatchView) -> None:
        """List the sessions that failed to launch, in the message's thread."""
        ...

    def post_summary(self, channel: str, thread_id: str, view: BatchView) -> str:
        """The completion summary, a reply in the message's thread shown in the channel
        too; its id ("" when it did not get through: try again)."""
        ...

    def share_failures(self, channel: str, thread_id: str, view: BatchView) -> bool:
        """Every failed session as a CSV file in the message's thread; False if it did not
        get through."""
        ...

    def post_stuck(self, channel: str, thread_id: str, view: BatchView, report: StuckReport) -> str:
        """The stuck-jobs alert in the message's thread; its id ("" when not delivered)."""
        ...


class SilentNotifier:
    """For processes with nobody to tell (tools, some tests)."""

    def post(self, channel: str, view: BatchView) -> str:
        return ""

    def update(self, channel: str, message_id: str, view: BatchView) -> bool:
        return True

    def post_failures(self, channel: str, thread_id: str, view: BatchView) -> None:
        return None

    def post_summary(self, channel: str, thread_id: str, view: BatchView) -> str:
        return "-"

    def share_failures(self, channel: str, thread_id: str, view: BatchView) -> bool:
        return True

    def post_stuck(self, channel: str, thread_id: str, view: BatchView, report: StuckReport) -> str:
        return "-"


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
