"""The batch's channel message in Slack: ``chat.postMessage`` once, ``chat.update`` after,
launch failures as a reply in its thread.

The service decides when to post or update and remembers the message's ``ts``
(``slack_messages``); this only draws it with ``commands.render.batch``. A Slack
error never stops a launch: it is logged with the batch id, and the next change
the watcher sees rewrites the whole message anyway; a failed update is retried on
the watcher's next tick.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.service.launch.progress import BatchView
from bot.service.launch.reporting import CONSOLE_CHANNEL
from commands.render import batch as render_batch

logger = logging.getLogger(__name__)

NOWHERE = "-"  # the message id of a batch with no Slack channel: nothing to post or update


class SlackNotifier:
    """``BatchNotifier`` over the bot's Web API client."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def post(self, channel: str, view: BatchView) -> str:
        """Post the batch's message; returns its ``ts`` ("" when Slack refused: try again)."""
        if not _in_slack(channel):
            logger.info("batch %s has no Slack channel; not posting its message", view.batch.id)
            return NOWHERE
        reply = render_batch.progress(view)
        try:
            response = self._client.chat_postMessage(
                channel=channel, text=reply.text, blocks=reply.blocks or None
            )
        except SlackApiError as err:
            logger.warning(
                "batch %s: chat.postMessage to %s failed: %s", view.batch.id, channel, _code(err)
            )
            return ""
        return str(response.get("ts") or "")

    def update(self, channel: str, message_id: str, view: BatchView) -> bool:
        """Rewrite the batch's message in place; False when Slack refused (retried later)."""
        if not _in_slack(channel) or message_id in ("", NOWHERE):
            return True  # nothing in Slack to keep current
        reply = render_batch.progress(view)
        try:
            self._client.chat_update(
                channel=channel, ts=message_id, text=reply.text, blocks=reply.blocks or None
            )
        except SlackApiError as err:
            logger.warning(
                "batch %s: chat.update of %s in %s failed: %s",
                view.batch.id,
                message_id,
                channel,
                _code(err),
            )
            return False
        return True

    def post_failures(self, channel: str, thread_id: str, view: BatchView) -> None:
        """List the sessions that failed to launch as a reply in the message's thread."""
        if not _in_slack(channel) or not thread_id:
            return
        reply = render_batch.failures(view)
        try:
            self._client.chat_postMessage(
                channel=channel, thread_ts=thread_id, text=reply.text, blocks=reply.blocks or None
            )
        except SlackApiError as err:
            logger.warning(
                "batch %s: failures reply in %s failed: %s", view.batch.id, channel, _code(err)
            )


def _in_slack(channel: str) -> bool:
    """The reporter passes ``"console"`` for a batch asked for outside Slack."""
    return bool(channel) and channel != CONSOLE_CHANNEL


def _code(err: SlackApiError) -> str:
    response = err.response
    return str(response.get("error", "")) if response is not None else str(err)
