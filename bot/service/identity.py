"""Mapping the person typing to a Flywheel user, once per TTL.

Slack users are matched to Flywheel accounts by email. The lookup (a Slack
`users.info` plus a Flywheel user read) happens before the ack, so its result
is cached in the store; a miss is never cached, so a new Flywheel account works
at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.domain import Actor, UserRef
from bot.errors import IdentityError
from bot.flywheel.gateway import FlywheelGateway
from bot.service.policy import Policy
from bot.store.audit import AuditRepo
from bot.store.identities import IdentityRepo

DEFAULT_TTL = timedelta(hours=1)
MEMORY_TTL_SECONDS = 300.0  # the in-process copy; the store's copy lasts the full TTL


@dataclass(frozen=True)
class SlackProfile:
    """What the Slack adapter learned from `users.info`."""

    email: str | None
    display_name: str = ""


class IdentityService:
    def __init__(
        self,
        gateway: FlywheelGateway,
        identities: IdentityRepo,
        policy: Policy,
        audit: AuditRepo,
        *,
        ttl: timedelta = DEFAULT_TTL,
    ) -> None:
        self._gateway = gateway
        self._identities = identities
        self._audit = audit
        # In front of the store's cache: most commands resolve their user from memory,
        # so the ack path touches neither Slack, Flywheel nor the database.
        self._memory: dict[str, tuple[float, str, str]] = {}
        self._memory_lock = threading.Lock()
        self._policy = policy
        self._ttl = ttl

    def for_slack_user(
        self,
        slack_user_id: str,
        channel_id: str | None,
        fetch_profile: Callable[[], SlackProfile],
    ) -> Actor:
        """The cached identity, or ``fetch_profile()`` then a Flywheel check, cached on success."""
        remembered = self._remembered(slack_user_id)
        if remembered is not None:
            return self._actor(*remembered, slack_user_id, channel_id)
        cached = self._identities.get_fresh(slack_user_id, self._ttl)
        if cached is not None:
            self._remember(slack_user_id, cached.email, cached.display_name)
            return self._actor(cached.email, cached.display_name, slack_user_id, channel_id)
        try:
            profile = fetch_profile()
        except IdentityError as err:
            self._refused(f"slack:{slack_user_id}", slack_user_id, err.message)
            raise
        if not profile.email:
            self._refused(f"slack:{slack_user_id}", slack_user_id, "no email from Slack")
            raise IdentityError(
                "fwbot needs your Slack email to find your Flywheel account, and Slack did not "
                "share it.",
                hint="Ask a workspace admin to grant fwbot the users:read.email scope.",
            )
        user = self._find(profile.email)
        if user is None:
            self._refused(profile.email, slack_user_id, "no Flywheel account")
            raise IdentityError(
                f"fwbot finds no Flywheel account for {profile.email} on the projects it serves.",
                hint="Ask a project admin to add you to the project with this email, then try "
                "again.",
            )
        name = profile.display_name or user.display_name
        self._identities.put(
            slack_user_id, email=user.email, flywheel_user_id=user.user_id, display_name=name
        )
        self._remember(slack_user_id, user.email, name)
        return self._actor(user.email, name, slack_user_id, channel_id)

    def for_email(self, email: str) -> Actor:
        """A console user (``--as EMAIL``): checked against Flywheel, never cached."""
        user = self._find(email)
        if user is None:
            raise IdentityError(f"fwbot finds no Flywheel account for {email}.")
        return Actor(
            email=user.email,
            display_name=user.display_name,
            bot_admin=self._policy.is_bot_admin(user.email),
            via="console",
        )

    def _find(self, email: str) -> UserRef | None:
        """The Flywheel user; a fwbot admin named by the lab's policy file counts even without
        a project role (a plain key sees users only on the projects it can see)."""
        user = self._gateway.find_user(email)
        if user is None and self._policy.is_bot_admin(email):
            return UserRef(user_id=email, email=email)
        return user

    def _remembered(self, slack_user_id: str) -> tuple[str, str] | None:
        with self._memory_lock:
            entry = self._memory.get(slack_user_id)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1], entry[2]

    def _remember(self, slack_user_id: str, email: str, name: str) -> None:
        expires = time.monotonic() + min(self._ttl.total_seconds(), MEMORY_TTL_SECONDS)
        with self._memory_lock:
            self._memory[slack_user_id] = (expires, email, name)

    def _refused(self, who: str, slack_user_id: str, reason: str) -> None:
        """Unknown people knocking is worth an admin's eye: audit each failed resolution."""
        self._audit.record_decision(
            actor_email=who,
            actor_slack_id=slack_user_id,
            action="identify",
            outcome="refused",
            reason=reason,
        )

    def _actor(
        self, email: str, name: str, slack_user_id: str, channel_id: str | None
    ) -> Actor:
        return Actor(
            slack_user_id=slack_user_id,
            email=email,
            display_name=name,
            bot_admin=self._policy.is_bot_admin(email),
            channel_id=channel_id,
            via="slack",
        )
