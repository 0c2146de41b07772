"""`/fw subscribe`, `/fw unsubscribe`, `/fw subscriptions`: a channel follows a project.

A subscription belongs to the channel the command was typed in. Subscribing or
unsubscribing needs read access to the project; someone with no role on it gets the
answer a project that does not exist gets, so a subscription reveals nothing. The list
shows a channel's subscriptions on projects the asker can read and only counts the rest.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.domain import Actor
from bot.domain.delivery import channel_of
from bot.domain.subscriptions import (
    DEFAULT_DIGEST_TIME,
    DEFAULT_EVENTS,
    DEFAULT_TIMEZONE,
    DIGEST,
    EVENTS,
    Subscription,
)
from bot.errors import Conflict, UsageError
from bot.flywheel.gateway import FlywheelGateway
from bot.service.access import Authorizer
from bot.service.door import Door, use_case
from bot.service.lookups import gear_or_not_found
from bot.service.subscriptions.ports import (
    Subscribed,
    SubscriptionList,
    SubscriptionView,
)
from bot.service.use_cases import UseCase
from bot.store.channels import channel_key
from bot.store.subscriptions import SubscriptionRepo

NOW = "now"  # at=now: the next whole minute, so a demo's digest fires within a minute

EXAMPLE = "/fw subscribe project=gear_testing events=done,failed,digest at=08:30 tz=Europe/Paris"


def view_of(sub: Subscription) -> SubscriptionView:
    return SubscriptionView(
        id=sub.id,
        channel=sub.channel,
        project_label=sub.project_label,
        gear=sub.gear,
        events=sub.events,
        digest_time=sub.digest_time if DIGEST in sub.events else None,
        timezone=sub.timezone,
        created_by=sub.created_by,
        paused=sub.paused,
        paused_reason=sub.paused_reason,
    )


def key_of(actor: Actor) -> str:
    """The store's key of the channel the command was typed in (the console, outside Slack):
    a channel's subscriptions are found by it."""
    return channel_key(channel_of(actor.channel_id))


class SubscriptionService:
    def __init__(
        self,
        gateway: FlywheelGateway,
        access: Authorizer,
        subscriptions: SubscriptionRepo,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._gateway = gateway
        self._door = Door(access)
        self._subscriptions = subscriptions
        self._clock = clock
        self._listeners: list[Callable[[], object]] = []
        self._lock = threading.Lock()

    def on_change(self, listener: Callable[[], object]) -> None:
        """Call ``listener`` after this process adds, changes or removes a subscription (the
        scheduler re-reads the digest times at once instead of on its next sync)."""
        with self._lock:
            self._listeners.append(listener)

    # -- use cases -------------------------------------------------------
    @use_case(UseCase.SUBSCRIBE)
    def subscribe(
        self,
        actor: Actor,
        project_label: str,
        *,
        gear: str | None = None,
        events: Sequence[str] | None = None,
        at: str | None = None,
        tz: str | None = None,
    ) -> Subscribed:
        """This channel follows the project (or one gear of it): events as they happen and,
        with ``digest``, a daily digest at ``at`` (HH:MM, or ``now``) in ``tz``."""
        wanted = _events(events, digest_asked=at is not None)
        zone = _zone(tz) if tz is not None else DEFAULT_TIMEZONE
        # at=now: the next minute on the wall clock the scheduler's cron triggers follow
        # (the demo's Flywheel runs on a faster clock of its own)
        digest_time = _time(at, zone, datetime.now(UTC)) if DIGEST in wanted else None
        if DIGEST in wanted and digest_time is None:
            digest_time = DEFAULT_DIGEST_TIME
        project = self._door.project(
            actor, UseCase.SUBSCRIBE, project_label, target=_target(project_label, gear)
        )
        gear_name = self._gear(gear) if gear else None
        channel = key_of(actor)
        before = {(s.project_label, s.gear) for s in self._subscriptions.for_channel(channel)}
        sub = self._subscriptions.subscribe(
            channel=channel,
            project_label=project.label,
            gear=gear_name,
            created_by=actor.email,
            events=wanted,
            digest_time=digest_time,
            timezone=zone,
            now=self._clock(),
        )
        self._changed()
        return Subscribed(view_of(sub), updated=(project.label, gear_name) in before)

    @use_case(UseCase.UNSUBSCRIBE)
    def unsubscribe(self, actor: Actor, project_label: str, *, gear: str | None = None) -> str:
        """Stop this channel's subscription to the project (or to one gear of it); returns
        the project's label."""
        project = self._door.project(
            actor, UseCase.UNSUBSCRIBE, project_label, target=_target(project_label, gear)
        )
        channel = key_of(actor)
        if not self._subscriptions.unsubscribe(
            channel=channel, project_label=project.label, gear=gear
        ):
            what = f"`{project.label}`" + (f" (gear `{gear}`)" if gear else "")
            raise Conflict(
                f"This channel has no subscription to {what}.",
                hint="`/fw subscriptions` lists this channel's subscriptions.",
            )
        self._changed()
        return project.label

    @use_case(UseCase.SUBSCRIPTIONS_LIST)
    def for_channel(self, actor: Actor) -> SubscriptionList:
        """This channel's subscriptions; those on projects the asker has no role on are
        counted but not shown (a fwbot admin sees them all)."""
        self._door.site(actor, UseCase.SUBSCRIPTIONS_LIST)
        channel = key_of(actor)
        subs = self._subscriptions.for_channel(channel)
        if actor.bot_admin:
            return SubscriptionList(channel, tuple(view_of(s) for s in subs))
        mine = self._gateway.all_project_roles(actor.user_key)
        shown = [s for s in subs if mine.get(s.project_label, "none") != "none"]
        return SubscriptionList(
            channel, tuple(view_of(s) for s in shown), hidden=len(subs) - len(shown)
        )

    # -- internals -------------------------------------------------------
    def _gear(self, name: str) -> str:
        gear_or_not_found(self._gateway, name)
        return name

    def _changed(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()


def _target(label: str, gear: str | None) -> str:
    """What the audit row names: the project, and the gear when one was given."""
    return label + (f" gear {gear}" if gear else "")


def _events(given: Sequence[str] | None, *, digest_asked: bool) -> list[str]:
    if not given:
        wanted: list[str] = list(DEFAULT_EVENTS)
    else:
        wanted = [e.strip().casefold() for e in given if e.strip()]
        unknown = [e for e in wanted if e not in EVENTS]
        if unknown or not wanted:
            shown = unknown[0][:30] if unknown else ""
            best = difflib.get_close_matches(shown, EVENTS, n=1)
            mean = f" Did you mean `{best[0]}`?" if best else ""
            said = f"`{shown}` is not an event fwbot posts." if shown else "Name an event."
            raise UsageError(
                f"{said}{mean}",
                hint=f"Events are {', '.join(f'`{e}`' for e in EVENTS)}, separated by commas: "
                f"`{EXAMPLE}`",
            )
    if digest_asked and DIGEST not in wanted:
        wanted.append(DIGEST)  # at= only means something for the digest
    return list(dict.fromkeys(wanted))


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        zones = sorted(available_timezones())
        by_fold = {z.casefold(): z for z in zones}
        if name.casefold() in by_fold:  # europe/paris -> Europe/Paris
            return by_fold[name.casefold()]
        best = difflib.get_close_matches(name, zones, n=1)
        mean = f" Did you mean `{best[0]}`?" if best else ""
        raise UsageError(
            f"`{name[:40]}` is not a time zone fwbot knows.{mean}",
            hint="Give an Area/City name such as `tz=Europe/Paris` or `tz=America/New_York`, "
            "or `tz=UTC`.",
        ) from None
    return name


def _time(at: str | None, zone: str, now: datetime) -> str | None:
    if at is None:
        return None
    if at.casefold() == NOW:
        soon = now.astimezone(ZoneInfo(zone)) + timedelta(minutes=1)
        return soon.strftime("%H:%M")
    text = at.strip()
    hours, sep, minutes = text.partition(":")
    ok = (
        sep
        and hours.isdigit()
        and minutes.isdigit()
        and len(minutes) == 2
        and len(hours) in (1, 2)
        and int(hours) < 24
        and int(minutes) < 60
    )
    if not ok:
        raise UsageError(
            f"`at={at[:20]}` is not a time of day.",
            hint="Give it as HH:MM on a 24-hour clock, e.g. `at=08:30` or `at=17:45` "
            "(`at=now` sends the first digest within a minute).",
        )
    return f"{int(hours):02d}:{minutes}"
