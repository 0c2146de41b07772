"""Channel subscriptions as the store keeps them (``subscriptions``): one row per channel,
project and gear. ``matching`` and ``active`` leave paused subscriptions out."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, delete, select, update

from bot.domain.subscriptions import DEFAULT_EVENTS, DEFAULT_TIMEZONE, EVENTS, Subscription
from bot.store._sql import upsert
from bot.store.channels import channel_at
from bot.store.models import SubscriptionRow, utcnow

if TYPE_CHECKING:
    from bot.store.db import Store

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
ALL_GEARS = ""  # stored instead of NULL so UNIQUE(channel, project, gear) holds for "all"


def _subscription(row: SubscriptionRow) -> Subscription:
    return Subscription(
        id=row.id,
        channel=row.channel,
        project_label=row.project_label,
        gear=row.gear or None,
        events=tuple(row.events),
        digest_time=row.digest_time,
        created_by=row.created_by,
        created_at=row.created_at,
        timezone=row.timezone or DEFAULT_TIMEZONE,
        paused_at=row.paused_at,
        paused_reason=row.paused_reason,
        posts_to=channel_at(row.channel),
    )


def _validate(events: Iterable[str], digest_time: str | None, timezone: str) -> list[str]:
    wanted = list(dict.fromkeys(events))
    unknown = [e for e in wanted if e not in EVENTS]
    if unknown or not wanted:
        raise ValueError(f"events must be a non-empty subset of {EVENTS}, got {wanted}")
    if digest_time is not None and not _HHMM.match(digest_time):
        raise ValueError(f"digest time must be HH:MM (24h), got {digest_time!r}")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {timezone!r}") from exc
    return wanted


class SubscriptionRepo:
    def __init__(self, store: Store) -> None:
        self._store = store

    def subscribe(
        self,
        *,
        channel: str,
        project_label: str,
        created_by: str,
        gear: str | None = None,
        events: Iterable[str] = DEFAULT_EVENTS,
        digest_time: str | None = None,
        timezone: str = DEFAULT_TIMEZONE,
        now: datetime | None = None,
    ) -> Subscription:
        """Create, or update the events, digest time and zone of, the one subscription
        for (channel, project, gear); subscribing again resumes a paused one."""
        wanted = _validate(events, digest_time, timezone)
        values = {
            "channel": channel,
            "project_label": project_label,
            "gear": gear or ALL_GEARS,
            "events": wanted,
            "digest_time": digest_time,
            "timezone": timezone,
            "created_by": created_by,
            "created_at": now or utcnow(),
            "paused_at": None,
            "paused_reason": None,
        }
        key = ["channel", "project_label", "gear"]
        changed = ["events", "digest_time", "timezone", "paused_at", "paused_reason"]
        with self._store.session() as s:
            upsert(s, SubscriptionRow, values, key, changed)
            row = s.scalars(self._match(channel, project_label, gear)).one()
            s.refresh(row)
            return _subscription(row)

    @staticmethod
    def _match(channel: str, project_label: str, gear: str | None) -> Select[Any]:
        return select(SubscriptionRow).where(
            SubscriptionRow.channel == channel,
            SubscriptionRow.project_label == project_label,
            SubscriptionRow.gear == (gear or ALL_GEARS),
        )

    def unsubscribe(self, *, channel: str, project_label: str, gear: str | None = None) -> bool:
        stmt = delete(SubscriptionRow).where(
            SubscriptionRow.channel == channel,
            SubscriptionRow.project_label == project_label,
            SubscriptionRow.gear == (gear or ALL_GEARS),
        )
        with self._store.session() as s:
            return bool(s.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def get(self, subscription_id: int) -> Subscription | None:
        with self._store.reading() as s:
            row = s.get(SubscriptionRow, subscription_id)
            return _subscription(row) if row is not None else None

    def active(self) -> list[Subscription]:
        """Every subscription not paused, in id order (what the scheduler serves)."""
        stmt = (
            select(SubscriptionRow)
            .where(SubscriptionRow.paused_at.is_(None))
            .order_by(SubscriptionRow.id)
        )
        with self._store.reading() as s:
            return [_subscription(r) for r in s.scalars(stmt)]

    def pause_channel(self, channel: str, reason: str, *, now: datetime | None = None) -> int:
        """Pause every subscription of a channel that refuses posts; how many were paused
        now (0 when they already were)."""
        stmt = (
            update(SubscriptionRow)
            .where(SubscriptionRow.channel == channel, SubscriptionRow.paused_at.is_(None))
            .values(paused_at=now or utcnow(), paused_reason=reason[:100])
            .execution_options(synchronize_session=False)
        )
        with self._store.session() as s:
            return int(s.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def for_channel(self, channel: str) -> list[Subscription]:
        stmt = (
            select(SubscriptionRow)
            .where(SubscriptionRow.channel == channel)
            .order_by(SubscriptionRow.project_label, SubscriptionRow.gear)
        )
        with self._store.reading() as s:
            return [_subscription(r) for r in s.scalars(stmt)]

    def matching(
        self, project_label: str, gear: str, event: str | None = None
    ) -> list[Subscription]:
        """Subscriptions to notify about a batch of ``gear`` in ``project_label``:
        those for that gear and those for every gear, paused ones left out; optionally
        only for ``event``."""
        stmt = (
            select(SubscriptionRow)
            .where(
                SubscriptionRow.project_label == project_label,
                SubscriptionRow.gear.in_([gear, ALL_GEARS]),
                SubscriptionRow.paused_at.is_(None),
            )
            .order_by(SubscriptionRow.channel, SubscriptionRow.id)
        )
        with self._store.reading() as s:
            subs = [_subscription(r) for r in s.scalars(stmt)]
        return [sub for sub in subs if event is None or event in sub.events]
