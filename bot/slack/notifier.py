"""The batch's channel message in Slack: ``chat.postMessage`` once, ``chat.update`` after;
launch failures, the completion summary (with its CSV file) and the stuck-jobs alert as
replies in its thread.

Every call goes through ``SlackPoster``: posts to one channel about one a second apart,
a 429 repeated after its Retry-After, and a channel that refuses posts (the bot was
removed, the channel archived) raised as ``ChannelGone`` for the reporter, which records
it, logs it once and stops posting the batch there. The service decides when to post or
update and remembers the message's ``ts`` (``slack_messages``); this only draws it with
``commands.render``. Any other Slack error is logged with the batch id and reported as
not delivered, so the reporter tries again on the watcher's next tick; it never stops a
launch.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from bot.service.launch.progress import BatchView, StuckReport
from bot.service.launch.reporting import CONSOLE_CHANNEL
from bot.slack.posting import MIN_INTERVAL, SlackPoster
from commands.render import batch as render_batch
from commands.render import summary as render_summary

logger = logging.getLogger(__name__)

NOWHERE = "-"  # the message id of a batch with no Slack channel: nothing to post or update


class SlackNotifier:
    """``BatchNotifier`` over the bot's Web API client (``min_interval``: seconds between
    posts to one channel; tests pass 0)."""

    def __init__(
        self,
        client: WebClient,
        *,
        poster: SlackPoster | None = None,
        min_interval: float = MIN_INTERVAL,
    ) -> None:
        self._poster = poster or SlackPoster(client, min_interval=min_interval)

    def post(self, channel: str, view: BatchView) -> str:
        """Post the batch's message; returns its ``ts`` ("" when Slack refused: try again)."""
        if not _in_slack(channel):
            logger.info("batch %s has no Slack channel; not posting its message", view.batch.id)
            return NOWHERE
        reply = render_batch.progress(view)
        ts = self._poster.post_message(channel, reply.text, reply.blocks)
        if not ts:
            logger.warning(
                "batch %s: its message to %s did not get through", view.batch.id, channel
            )
        return ts

    def update(self, channel: str, message_id: str, view: BatchView) -> bool:
        """Rewrite the batch's message in place; False when Slack refused (retried later)."""
        if not _in_slack(channel) or message_id in ("", NOWHERE):
            return True  # nothing in Slack to keep current
        reply = render_batch.progress(view)
        sent = self._poster.update_message(channel, message_id, reply.text, reply.blocks)
        if not sent:
            logger.warning(
                "batch %s: the update of %s in %s did not get through",
                view.batch.id,
                message_id,
                channel,
            )
        return sent

    def post_failures(self, channel: str, thread_id: str, view: BatchView) -> None:
        """List the sessions that failed to launch as a reply in the message's thread."""
        if not _in_slack(channel) or not _thread(thread_id):
            return
        reply = render_batch.failures(view)
        if not self._poster.post_message(channel, reply.text, reply.blocks, thread_ts=thread_id):
            logger.warning(
                "batch %s: the launch failures reply in %s did not get through",
                view.batch.id,
                channel,
            )

    def post_summary(self, channel: str, thread_id: str, view: BatchView) -> str:
        """The completion summary in the thread, broadcast to the channel (so the channel
        and the requester's phone hear of it); its ``ts``, "" when not delivered."""
        if not _in_slack(channel):
            return NOWHERE
        reply = render_summary.summary(view)
        thread = _thread(thread_id)
        ts = self._poster.post_message(
            channel, reply.text, reply.blocks, thread_ts=thread, broadcast=bool(thread)
        )
        if not ts:
            logger.warning(
                "batch %s: the summary to %s did not get through", view.batch.id, channel
            )
        return ts

    def share_failures(self, channel: str, thread_id: str, view: BatchView) -> bool:
        """The CSV of every failed session in the thread, when the summary had to cut its
        lists (``render_summary.needs_csv``); True when there was nothing to share."""
        if not _in_slack(channel) or not render_summary.needs_csv(view):
            return True
        name, content = render_summary.failures_csv(view)
        shared = self._poster.share_file(
            channel,
            name,
            content,
            title=f"Failed sessions of {view.batch.id}",
            thread_ts=_thread(thread_id),
            comment=render_summary.csv_comment(view),
        )
        if not shared:
            logger.warning("batch %s: the CSV for %s did not get through", view.batch.id, channel)
        return shared

    def post_stuck(self, channel: str, thread_id: str, view: BatchView, report: StuckReport) -> str:
        """The stuck-jobs alert in the thread (not broadcast: the requester is mentioned)."""
        if not _in_slack(channel):
            return NOWHERE
        reply = render_summary.stuck_alert(view, report)
        ts = self._poster.post_message(
            channel, reply.text, reply.blocks, thread_ts=_thread(thread_id)
        )
        if not ts:
            logger.warning(
                "batch %s: the stuck alert to %s did not get through", view.batch.id, channel
            )
        return ts


def _in_slack(channel: str) -> bool:
    """The reporter passes ``"console"`` for a batch asked for outside Slack."""
    return bool(channel) and channel != CONSOLE_CHANNEL


def _thread(thread_id: str) -> str | None:
    """A thread to reply in ("" or ``NOWHERE``: none, post in the channel itself)."""
    return thread_id if thread_id and thread_id != NOWHERE else None
