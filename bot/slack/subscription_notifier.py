"""Subscribed channels in Slack: event posts, the daily digest and its failures CSV.

The service decides what goes where and when, and claims each post once; this draws it
with ``commands.render.subscriptions`` and posts it through ``SlackPoster`` (one post a
second per channel, 429 repeated after Retry-After). A channel that refuses posts raises
``ChannelGone`` out of the poster, and the service pauses its subscriptions.
"""

from __future__ import annotations

from bot.service.subscriptions.ports import Digest, EventNotice
from bot.service.subscriptions.service import CONSOLE_CHANNEL
from bot.slack.posting import SlackPoster
from commands.render import subscriptions as render


class SlackSubscriptionNotifier:
    """``SubscriptionNotifier`` over the bot's ``SlackPoster``."""

    def __init__(self, poster: SlackPoster) -> None:
        self._poster = poster

    def post_event(self, channel: str, notice: EventNotice) -> bool:
        if channel == CONSOLE_CHANNEL:
            return True  # a subscription typed in the terminal: nothing to post in Slack
        message = render.event(notice)
        return bool(self._poster.post_message(channel, message.text, message.blocks))

    def post_digest(self, channel: str, digest: Digest) -> str:
        if channel == CONSOLE_CHANNEL:
            return "-"
        message = render.digest(digest)
        return self._poster.post_message(channel, message.text, message.blocks)

    def share_failures(self, channel: str, digest: Digest, thread_id: str) -> bool:
        if channel == CONSOLE_CHANNEL:
            return True
        return self._poster.share_file(
            channel,
            render.failures_filename(digest),
            render.failures_csv(digest),
            title=f"Failures on {digest.project_label}, {digest.local_date.isoformat()}",
            thread_ts=thread_id or None,
        )
