"""How the store writes a ``Channel`` down: a Slack channel as its id, the console as
``console`` (the tables' ``channel`` columns are NOT NULL and part of unique keys, so
the console needs a value of its own; no Slack id looks like it).

The one place that spelling lives: the service hands the store ``Channel`` values (or
the keys made here) and gets ``Channel`` values back."""

from __future__ import annotations

from bot.domain.delivery import Channel, Console, SlackChannel

CONSOLE_KEY = "console"


def channel_key(channel: Channel) -> str:
    """The channel as the store keeps it (and as post claims name it)."""
    return channel.id if isinstance(channel, SlackChannel) else CONSOLE_KEY


def channel_at(key: str) -> Channel:
    """The channel a stored key names."""
    return Console() if key == CONSOLE_KEY else SlackChannel(key)
