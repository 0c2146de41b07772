"""A channel's subscription to a project's batches (optionally one gear): which events it
is told of, and when (time and time zone) its daily digest goes out.

The one copy of the event vocabulary: the store checks what it keeps against it, the
service parses commands with it, notices carry an ``EventKind``. A subscription whose
channel refused a post (the bot was removed from it) is *paused* until someone
subscribes there again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from bot.domain.delivery import Channel

EventKind = Literal["done", "failed", "stuck"]  # a batch ended well, ended with failures, is stuck
WATCHED_EVENTS: tuple[EventKind, ...] = get_args(EventKind)
DIGEST = "digest"  # not an event: the daily digest at the subscription's time
EVENTS: tuple[str, ...] = (*WATCHED_EVENTS, DIGEST)  # what a subscription may ask for

DEFAULT_EVENTS: tuple[EventKind, ...] = ("done", "failed")
DEFAULT_TIMEZONE = "UTC"
DEFAULT_DIGEST_TIME = "09:00"


@dataclass(frozen=True)
class Subscription:
    id: int
    channel: str  # the store's key for the channel (``bot.store.channels``); names claims
    posts_to: Channel  # the channel that key names: where the subscription's posts go
    project_label: str
    gear: str | None  # None: every gear
    events: tuple[str, ...]
    digest_time: str | None
    created_by: str
    created_at: datetime
    timezone: str = DEFAULT_TIMEZONE
    paused_at: datetime | None = None
    paused_reason: str | None = None

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def wants(self, event: str) -> bool:
        return event in self.events

    @property
    def watches(self) -> bool:
        """Told of some event as it happens (not only the digest)."""
        return any(self.wants(e) for e in WATCHED_EVENTS)
