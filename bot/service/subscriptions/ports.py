"""What subscriptions tell channels, and the port adapters implement to tell it.

The service decides what to post and when (an event when a batch ends or is stuck, a
digest at its time in its zone) and claims each post once across replicas; an adapter
(``bot.slack.subscription_notifier``, ``bot.console_subscriptions``) draws it with
``commands.render.subscriptions`` and posts it. Adapters raise ``ChannelGone`` for a
channel that refuses posts; the service then pauses that channel's subscriptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from bot.domain.delivery import NOWHERE, Channel, Delivery
from bot.domain.subscriptions import EventKind


@dataclass(frozen=True)
class SubscriptionView:
    """One subscription as its channel reads it."""

    id: int
    channel: str
    project_label: str
    gear: str | None  # None: every gear
    events: tuple[str, ...]
    digest_time: str | None  # HH:MM in ``timezone``; None: no digest
    timezone: str
    created_by: str
    paused: bool = False
    paused_reason: str | None = None


@dataclass(frozen=True)
class SubscriptionList:
    """The subscriptions of one channel that the asker may see, and how many they may not."""

    channel: str
    subscriptions: tuple[SubscriptionView, ...]
    hidden: int = 0  # on projects the asker has no role on: counted, never named


@dataclass(frozen=True)
class Subscribed:
    subscription: SubscriptionView
    updated: bool  # the channel already had one for this project and gear


@dataclass(frozen=True)
class FailedRun:
    """One failed run, for an event's list and a digest's CSV."""

    gear_name: str
    gear_version: str
    subject_label: str
    session_label: str
    reason: str
    launched_by: str
    batch: str  # fwbot's batch id, Flywheel's batch id, or "" for a run of its own
    ended: datetime | None
    analysis_id: str


@dataclass(frozen=True)
class EventNotice:
    """A batch ended (``done``: no failures; ``failed``: some) or has stuck jobs."""

    kind: EventKind
    project_label: str
    gear_name: str
    gear_version: str
    batch_id: str | None  # fwbot's batch; None for runs launched outside fwbot
    launched_by: str
    launched_at: datetime | None
    total: int
    complete: int
    failed: int
    cancelled: int
    active: int
    stuck_sessions: tuple[str, ...] = ()
    failures: tuple[FailedRun, ...] = ()  # the first few
    outside: bool = False  # launched outside fwbot (a script, the web UI, a gear rule)
    flywheel_batch: str | None = None


@dataclass(frozen=True)
class DigestGear:
    """One gear's day: runs launched, ended complete or failed in the window, still
    pending or running now, and of those the ones stuck far longer than usual."""

    gear_name: str
    launched: int = 0
    complete: int = 0
    failed: int = 0
    pending: int = 0
    stuck: int = 0

    @property
    def anything(self) -> bool:
        return any((self.launched, self.complete, self.failed, self.pending, self.stuck))


@dataclass(frozen=True)
class Digest:
    subscription_id: int
    project_label: str
    gear: str | None
    local_date: date
    timezone: str
    window_start: datetime
    window_end: datetime
    gears: tuple[DigestGear, ...]
    failures: tuple[FailedRun, ...]

    @property
    def nothing_to_say(self) -> bool:
        return not any(g.anything for g in self.gears)


class SubscriptionNotifier(Protocol):
    """Posts to subscribed channels. Each method raises ``ChannelGone`` when the channel
    refuses posts (the bot was removed); any other failure is reported as not delivered."""

    def post_event(self, channel: Channel, notice: EventNotice) -> bool:
        """The event's short message in the channel; False when not delivered."""
        ...

    def post_digest(self, channel: Channel, digest: Digest) -> Delivery:
        """The digest as one message (``Posted`` with its id: the CSV goes in its thread)."""
        ...

    def share_failures(self, channel: Channel, digest: Digest, thread_ts: str) -> bool:
        """The digest's failures as a CSV file, in the digest message's thread."""
        ...


class NoSubscriptionNotifier:
    """Nobody to tell (tools, tests that post nothing): every post is settled, nowhere."""

    def post_event(self, channel: Channel, notice: EventNotice) -> bool:
        return True

    def post_digest(self, channel: Channel, digest: Digest) -> Delivery:
        return NOWHERE

    def share_failures(self, channel: Channel, digest: Digest, thread_ts: str) -> bool:
        return True
