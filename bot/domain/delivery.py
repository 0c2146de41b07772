"""Where fwbot posts, and what became of a post, as values rather than magic strings.

A batch or a subscription posts to a ``Channel``: a Slack channel, or the ``Console``
(a command typed in the terminal has no Slack channel, like an ``Actor`` or a ``Batch``
whose ``channel_id`` is None). How the store writes a channel down is the store's
business (``bot.store.channels``).

A notifier answers a post with a ``Delivery``: ``Posted`` (with the message's id, Slack's
``ts``), ``NotDelivered`` (Slack refused or was down: try again on a later pass) or
``Nowhere`` (there is nothing to post to: settled, never tried again). These replace
``""`` for "try again" and ``"-"`` for "nowhere", which any string could be mistaken for.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlackChannel:
    id: str  # Slack's channel id, C…


@dataclass(frozen=True)
class Console:
    """The terminal (``fwbot demo``, an admin's console): nothing to post in Slack."""


Channel = SlackChannel | Console


def channel_of(slack_id: str | None) -> Channel:
    """Where a command's answers and its batch's posts go: the Slack channel it was typed
    in, or the console (no Slack channel)."""
    return SlackChannel(slack_id) if slack_id else Console()


@dataclass(frozen=True)
class Posted:
    ts: str  # the message's id in its channel


@dataclass(frozen=True)
class NotDelivered:
    """Not posted this time; the caller tries again later."""


@dataclass(frozen=True)
class Nowhere:
    """Nothing to post to, so nothing to try again."""


Delivery = Posted | NotDelivered | Nowhere

NOT_DELIVERED = NotDelivered()
NOWHERE = Nowhere()
