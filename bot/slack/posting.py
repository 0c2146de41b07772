"""Posting to Slack channels within Slack's limits, for every notifier.

- **Pacing:** Slack takes about one message per second per channel
  (https://docs.slack.dev/apis/web-api/rate-limits#posting-messages); posts to one
  channel are spaced ``min_interval`` apart, other channels do not wait.
- **429:** the call is repeated after the ``Retry-After`` Slack sends (capped), a few
  times, then given up with a warning.
- **A channel that refuses posts** (``not_in_channel``, ``channel_not_found``,
  ``is_archived``): ``ChannelGone``, so the caller stops posting there.
Any other Slack error is logged and reported as not delivered (``NotDelivered`` or False);
callers retry on their next tick.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.domain.delivery import NOT_DELIVERED, NotDelivered, Posted
from bot.service.locks import KeyedLocks
from bot.service.notify import ChannelGone

log = logging.getLogger(__name__)

CHANNEL_GONE = frozenset(
    {"not_in_channel", "channel_not_found", "is_archived", "cannot_reply_to_message"}
)
MIN_INTERVAL = 1.0  # seconds between posts to one channel
MAX_RETRY_AFTER = 60.0  # seconds; a longer Retry-After is capped
TRIES = 4  # a rate-limited call is made at most this many times
PACED_CHANNELS = 256  # past this many, channels whose next slot has passed are forgotten


class SlackPoster:
    """Paced, rate-limit-aware channel posts over the bot's ``WebClient``."""

    def __init__(
        self,
        client: WebClient,
        *,
        min_interval: float = MIN_INTERVAL,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._min_interval = min_interval
        self._sleep = sleep
        self._clock = clock
        self._next_slot: dict[str, float] = {}  # clock time of each channel's next post
        self._channel_locks: KeyedLocks[str] = KeyedLocks()
        self._guard = threading.Lock()

    def post_message(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        *,
        thread_ts: str | None = None,
        broadcast: bool = False,
    ) -> Posted | NotDelivered:
        """``chat.postMessage``: ``Posted`` with the message's ``ts``."""
        args: dict[str, Any] = {"channel": channel, "text": text, "blocks": blocks or None}
        if thread_ts:
            args["thread_ts"] = thread_ts
            args["reply_broadcast"] = broadcast
        response = self._call(channel, "chat.postMessage", self._client.chat_postMessage, args)
        ts = str(response.get("ts") or "") if response is not None else ""
        return Posted(ts) if ts else NOT_DELIVERED

    def update_message(
        self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> bool:
        """``chat.update`` of a message in place; False when not delivered."""
        args = {"channel": channel, "ts": ts, "text": text, "blocks": blocks or None}
        return self._call(channel, "chat.update", self._client.chat_update, args) is not None

    def share_file(
        self,
        channel: str,
        filename: str,
        content: bytes,
        *,
        title: str | None = None,
        thread_ts: str | None = None,
        comment: str | None = None,
    ) -> bool:
        """A file in the channel (or a thread of it), via ``files_upload_v2``."""
        args: dict[str, Any] = {
            "channel": channel,
            "filename": filename,
            "content": content,
            "title": title or filename,
        }
        if thread_ts:
            args["thread_ts"] = thread_ts
        if comment:
            args["initial_comment"] = comment
        return (
            self._call(channel, "files_upload_v2", self._client.files_upload_v2, args) is not None
        )

    # -- the one way every call goes -------------------------------------------------
    def _call(
        self, channel: str, name: str, method: Callable[..., SlackResponse], args: dict[str, Any]
    ) -> SlackResponse | None:
        with self._channel_locks.hold(channel):
            for attempt in range(1, TRIES + 1):
                self._wait_for_slot(channel)
                try:
                    response = method(**args)
                    log.debug("%s to %s ok", name, channel, extra={"slack_call": name})
                    return response
                except SlackApiError as err:
                    code = _code(err)
                    if code in CHANNEL_GONE:
                        raise ChannelGone(channel, code) from err
                    pause = _retry_after(err)
                    if pause is None or attempt == TRIES:
                        log.warning("%s to %s failed: %s", name, channel, code or err)
                        return None
                    log.info("%s to %s rate limited; again in %.0f s", name, channel, pause)
                    self._sleep(pause)
            return None

    def _wait_for_slot(self, channel: str) -> None:
        now = self._clock()
        with self._guard:
            slot = self._next_slot.get(channel, now)
            self._next_slot[channel] = max(slot, now) + self._min_interval
            if len(self._next_slot) > PACED_CHANNELS:
                # a slot in the past paces nothing: the same as no slot at all
                self._next_slot = {c: t for c, t in self._next_slot.items() if t > now}
        if slot > now:
            self._sleep(slot - now)


def _code(err: SlackApiError) -> str:
    response = err.response
    return str(response.get("error", "")) if response is not None else ""


def _retry_after(err: SlackApiError) -> float | None:
    """Seconds to wait before repeating a call Slack rate limited; None for other errors."""
    response = err.response
    if response is None or response.status_code != 429:
        return None
    headers = {k.lower(): v for k, v in (response.headers or {}).items()}
    raw = headers.get("retry-after")
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    try:
        return min(max(float(str(raw)), 0.0), MAX_RETRY_AFTER)
    except (TypeError, ValueError):
        return 1.0
