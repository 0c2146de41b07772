"""Channel subscriptions: `/fw subscribe` and friends, events on subscribed channels (fwbot's
batches and runs launched outside fwbot), and the daily digest.

``build_notifications`` makes the pieces over one store and one notifier; the composition
root (``bot.bootstrap``) exposes the commands' ``SubscriptionService`` to adapters and
hands ``Notifications`` to the scheduler (``bot.scheduler``) and its ``events`` (the
``BatchEvents`` port) to the batch watcher.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.flywheel.gateway import FlywheelGateway
from bot.service.access import Authorizer
from bot.service.subscriptions.digest import DigestService, DigestSlot
from bot.service.subscriptions.events import OutsideRuns, SubscriptionEvents
from bot.service.subscriptions.ports import NoSubscriptionNotifier, SubscriptionNotifier
from bot.service.subscriptions.posting import ChannelPosts
from bot.service.subscriptions.runs import StuckAfter
from bot.service.subscriptions.service import SubscriptionService
from bot.store.db import Store

__all__ = [
    "DigestService",
    "DigestSlot",
    "Notifications",
    "OutsideRuns",
    "SubscriptionEvents",
    "SubscriptionService",
    "build_notifications",
]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Notifications:
    """What the scheduler runs for subscriptions, and the watcher's ``BatchEvents``."""

    service: SubscriptionService
    events: SubscriptionEvents
    digests: DigestService
    outside: OutsideRuns

    def outside_runs_pass(self) -> None:
        self.outside.tick()

    def digest_slots(self) -> list[DigestSlot]:
        return self.digests.slots()

    def run_digest(self, subscription_id: int) -> None:
        self.digests.run(subscription_id)

    def on_change(self, listener: Callable[[], object]) -> None:
        self.service.on_change(listener)


def build_notifications(
    gateway: FlywheelGateway,
    store: Store,
    access: Authorizer,
    *,
    owner: str,
    notifier: SubscriptionNotifier | None = None,
    clock: Callable[[], datetime] = utc_now,
    stuck_after: StuckAfter,
) -> Notifications:
    notifier = notifier or NoSubscriptionNotifier()
    posts = ChannelPosts(store.subscriptions, store.post_claims, owner)
    return Notifications(
        service=SubscriptionService(gateway, access, store.subscriptions, clock=clock),
        events=SubscriptionEvents(store.subscriptions, posts, notifier),
        digests=DigestService(
            gateway, store.subscriptions, posts, notifier, clock=clock, stuck_after=stuck_after
        ),
        outside=OutsideRuns(
            gateway, store.subscriptions, posts, notifier, clock=clock, stuck_after=stuck_after
        ),
    )
