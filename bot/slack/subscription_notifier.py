"""Subscribed channels in Slack: event posts, the daily digest and its failures CSV.

The service decides what goes where and when, and claims each post once; this draws it
with ``commands.render.subscriptions`` and posts it through ``SlackPoster`` (one post a
second per channel, 429 repeated after Retry-After). A channel that refuses posts raises
``ChannelGone`` out of the poster, and the service pauses its subscriptions. A
subscription typed in the console has no Slack channel: its posts go nowhere.
"""

from __future__ import annotations

from bot.domain.delivery import NOWHERE, Channel, Console, Delivery, Posted
from bot.service.subscriptions.ports import Digest, EventNotice
from bot.slack.posting import SlackPoster
from commands.render import subscriptions as render


class SlackSubscriptionNotifier:
    """``SubscriptionNotifier`` over the bot's ``SlackPoster``."""

    def __init__(self, poster: SlackPoster) -> None:
        self._poster = poster

    def post_event(self, channel: Channel, notice: EventNotice) -> bool:
        if isinstance(channel, Console):
            return True
        message = render.event(notice)
        posted = self._poster.post_message(channel.id, message.text, message.blocks)
        return isinstance(posted, Posted)

    def post_digest(self, channel: Channel, digest: Digest) -> Delivery:
        if isinstance(channel, Console):
            return NOWHERE
        message = render.digest(digest)
        return self._poster.post_message(channel.id, message.text, message.blocks)

    def share_failures(self, channel: Channel, digest: Digest, thread_ts: str) -> bool:
        if isinstance(channel, Console):
            return True
        return self._poster.share_file(
            channel.id,
            render.failures_filename(digest),
            render.failures_csv(digest),
            title=f"Failures on {digest.project_label}, {digest.local_date.isoformat()}",
            thread_ts=thread_ts,
        )
