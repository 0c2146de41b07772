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
launch. A batch asked for in the console has no Slack channel: its posts go nowhere.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from bot.domain.delivery import NOWHERE, Channel, Console, Delivery, Posted, SlackChannel
from bot.service.launch.progress import BatchView, StuckReport
from bot.slack.posting import MIN_INTERVAL, SlackPoster
from commands.render import batch as render_batch
from commands.render import summary as render_summary
from commands.reply import Reply

logger = logging.getLogger(__name__)


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

    def post(self, channel: Channel, view: BatchView) -> Delivery:
        """Post the batch's message (not delivered when Slack refused: try again)."""
        if isinstance(channel, Console):
            logger.info("batch %s has no Slack channel; not posting its message", view.batch.id)
            return NOWHERE
        return self._reply(
            channel, view, render_batch.progress(view), f"its message to {channel.id}"
        )

    def update(self, channel: Channel, ts: str, view: BatchView) -> bool:
        """Rewrite the batch's message in place; False when Slack refused (retried later)."""
        if isinstance(channel, Console):
            return True  # nothing in Slack to keep current
        reply = render_batch.progress(view)
        sent = self._poster.update_message(channel.id, ts, reply.text, reply.blocks)
        if not sent:
            logger.warning(
                "batch %s: the update of %s in %s did not get through",
                view.batch.id,
                ts,
                channel.id,
            )
        return sent

    def post_failures(self, channel: Channel, thread: str | None, view: BatchView) -> None:
        """List the sessions that failed to launch as a reply in the message's thread."""
        if isinstance(channel, Console) or thread is None:
            return
        self._reply(
            channel,
            view,
            render_batch.failures(view),
            f"the launch failures reply in {channel.id}",
            thread=thread,
        )

    def post_summary(self, channel: Channel, thread: str | None, view: BatchView) -> Delivery:
        """The completion summary in the thread, broadcast to the channel (so the channel
        and the requester's phone hear of it)."""
        if isinstance(channel, Console):
            return NOWHERE
        return self._reply(
            channel,
            view,
            render_summary.summary(view),
            f"the summary to {channel.id}",
            thread=thread,
            broadcast=thread is not None,
        )

    def share_failures(self, channel: Channel, thread: str | None, view: BatchView) -> bool:
        """The CSV of every failed session in the thread, when the summary had to cut its
        lists (``render_summary.needs_csv``); True when there was nothing to share."""
        if isinstance(channel, Console) or not render_summary.needs_csv(view):
            return True
        name, content = render_summary.failures_csv(view)
        shared = self._poster.share_file(
            channel.id,
            name,
            content,
            title=f"Failed sessions of {view.batch.id}",
            thread_ts=thread,
            comment=render_summary.csv_comment(view),
        )
        if not shared:
            logger.warning(
                "batch %s: the CSV for %s did not get through", view.batch.id, channel.id
            )
        return shared

    def post_stuck(
        self, channel: Channel, thread: str | None, view: BatchView, report: StuckReport
    ) -> Delivery:
        """The stuck-jobs alert in the thread (not broadcast: the requester is mentioned)."""
        if isinstance(channel, Console):
            return NOWHERE
        return self._reply(
            channel,
            view,
            render_summary.stuck_alert(view, report),
            f"the stuck alert to {channel.id}",
            thread=thread,
        )

    def _reply(
        self,
        channel: SlackChannel,
        view: BatchView,
        reply: Reply,
        what: str,
        *,
        thread: str | None = None,
        broadcast: bool = False,
    ) -> Delivery:
        """Post ``reply``; a post that did not get through is logged with the batch id."""
        posted = self._poster.post_message(
            channel.id, reply.text, reply.blocks, thread_ts=thread, broadcast=broadcast
        )
        if not isinstance(posted, Posted):
            logger.warning("batch %s: %s did not get through", view.batch.id, what)
        return posted
