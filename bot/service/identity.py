"""Mapping the person typing to a Flywheel user.

Proof first: a person who linked their own Flywheel key (``/fw link``) is the Flywheel
user that key belongs to, and their calls go out with it. Otherwise, where the lab
allows a shared key (``FWBOT_ACCOUNTS`` ``shared`` or ``both``), a Slack user is matched
by email (``GET /users`` filtered by email: any logged-in key may read it), keyed by the
Flywheel user ``_id``. The match (a Slack ``users.info`` plus that read) is cached in the
store for a TTL; a miss is never cached, so a new Flywheel account works at once.
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
from bot.service.accounts import LINK_HINT, Accounts, principal_of
from bot.service.accounts.acting import as_service_account
from bot.service.door import unchecked
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
        accounts: Accounts,
        *,
        ttl: timedelta = DEFAULT_TTL,
    ) -> None:
        self._gateway = gateway
        self.accounts = accounts
        self._identities = identities
        self._audit = audit
        # In front of the store's cache: most commands resolve their user from memory,
        # so the ack path touches neither Slack, Flywheel nor the database.
        self._memory: dict[str, tuple[float, str, str, str]] = {}
        self._memory_lock = threading.Lock()
        self._policy = policy
        self._ttl = ttl

    @unchecked("who is asking: there is no actor yet; a failed match is audited (identify)")
    def for_slack_user(
        self,
        slack_user_id: str,
        channel_id: str | None,
        fetch_profile: Callable[[], SlackProfile],
    ) -> Actor:
        """The linked account; else the cached email match, or ``fetch_profile()`` then a
        Flywheel check, cached on success."""
        link = self.accounts.linked(principal_of(slack_user_id, ""))
        if link is not None:
            return self._actor(
                link.email,
                link.display_name,
                link.flywheel_user_id,
                slack_user_id,
                channel_id,
                linked=True,
            )
        if not self.accounts.shared_enabled:
            self._refused(f"slack:{slack_user_id}", slack_user_id, "not linked")
            raise IdentityError(
                "fwbot acts on Flywheel as you, with your own API key, and you have not "
                "linked one yet.",
                hint=LINK_HINT,
            )
        remembered = self._remembered(slack_user_id)
        if remembered is not None:
            return self._actor(*remembered, slack_user_id, channel_id)
        cached = self._identities.get_fresh(slack_user_id, self._ttl)
        if cached is not None and cached.flywheel_user_id:
            self._remember(
                slack_user_id, cached.email, cached.display_name, cached.flywheel_user_id
            )
            return self._actor(
                cached.email,
                cached.display_name,
                cached.flywheel_user_id,
                slack_user_id,
                channel_id,
            )
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
                f"fwbot finds no Flywheel account for {profile.email}.",
                hint="Link your own Flywheel account (`/fw link`), or ask a Flywheel admin "
                "to give your account this email.",
            )
        name = profile.display_name or user.display_name
        self._identities.put(
            slack_user_id, email=user.email, flywheel_user_id=user.user_id, display_name=name
        )
        self._remember(slack_user_id, user.email, name, user.user_id)
        return self._actor(user.email, name, user.user_id, slack_user_id, channel_id)

    def for_email(self, email: str) -> Actor:
        """A console user (``--as EMAIL``): their linked account, else checked against
        Flywheel by email (never cached)."""
        link = self.accounts.linked(principal_of(None, email))
        if link is not None:
            return Actor(
                email=link.email,
                display_name=link.display_name,
                flywheel_user_id=link.flywheel_user_id,
                linked=True,
                bot_admin=self._policy.is_bot_admin(link.email),
                via="console",
            )
        user = self._find(email) if self.accounts.shared_enabled else None
        if user is None:
            raise IdentityError(
                f"fwbot finds no Flywheel account for {email}.",
                hint=LINK_HINT.replace("/fw ", ""),
            )
        return Actor(
            email=user.email,
            display_name=user.display_name,
            flywheel_user_id=user.user_id,
            link_offered=self.accounts.linking_enabled,
            bot_admin=self._policy.is_bot_admin(user.email),
            via="console",
        )

    def forget(self, slack_user_id: str) -> None:
        """Drop the cached email match (after a link or unlink: the next command re-reads)."""
        with self._memory_lock:
            self._memory.pop(slack_user_id, None)
        self._identities.forget(slack_user_id)

    def _find(self, email: str) -> UserRef | None:
        """The Flywheel user with this email, by fwbot's own key; a fwbot admin named by the
        lab's policy file counts even when Flywheel does not know them."""
        with as_service_account():
            user = self._gateway.find_user(email)
        if user is None and self._policy.is_bot_admin(email):
            return UserRef(user_id=email, email=email)
        return user

    def _remembered(self, slack_user_id: str) -> tuple[str, str, str] | None:
        with self._memory_lock:
            entry = self._memory.get(slack_user_id)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1], entry[2], entry[3]

    def _remember(self, slack_user_id: str, email: str, name: str, user_id: str) -> None:
        expires = time.monotonic() + min(self._ttl.total_seconds(), MEMORY_TTL_SECONDS)
        with self._memory_lock:
            self._memory[slack_user_id] = (expires, email, name, user_id)

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
        self,
        email: str,
        name: str,
        user_id: str,
        slack_user_id: str,
        channel_id: str | None,
        *,
        linked: bool = False,
    ) -> Actor:
        return Actor(
            slack_user_id=slack_user_id,
            email=email,
            display_name=name,
            flywheel_user_id=user_id,
            linked=linked,
            link_offered=not linked and self.accounts.linking_enabled,
            bot_admin=self._policy.is_bot_admin(email),
            channel_id=channel_id,
            via="slack",
        )
