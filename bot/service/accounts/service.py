"""Linked accounts: a person proves who they are with their own Flywheel API key.

``link`` checks the key with ``GET /users/self`` on the site fwbot serves (a key for
another site is refused before it is sent anywhere), stores it encrypted
(``Keybox``) and never shows, logs or returns it. ``acting_for`` opens a gateway on
that key for the commands the person runs; a key Flywheel refuses (401) is dropped
and its owner told once (``on_dropped``). The lab chooses ``linked``, ``shared`` (one
key, email matching) or ``both`` (``FWBOT_ACCOUNTS``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from bot.domain import Actor, Batch, UserRef
from bot.errors import FlywheelUnavailable, FwbotError, IdentityError, KeyRejected
from bot.flywheel.calls import site_of
from bot.flywheel.gateway import FlywheelGateway
from bot.observe.logs import remember_secret
from bot.service.accounts.acting import ActingFor, LinkExpired, acting
from bot.service.accounts.keybox import Keybox, KeyboxError
from bot.store.audit import AuditRepo
from bot.store.linked_accounts import LinkedAccount, LinkedAccountRepo

log = logging.getLogger(__name__)

AccountsMode = Literal["linked", "shared", "both"]
GATEWAYS_KEPT = 256  # open per-person gateways; the oldest unused is closed first
LINK_TTL_SECONDS = 15.0  # how long a replica trusts its copy of a link (unlink elsewhere)
LINK_HINT = "Link your Flywheel account: `/fw link`."


def principal_of(slack_user_id: str | None, email: str) -> str:
    """Who a link belongs to: a Slack user, or a console user by the email they gave."""
    return f"slack:{slack_user_id}" if slack_user_id else f"console:{email.casefold()}"


def actor_principal(actor: Actor) -> str:
    return principal_of(actor.slack_user_id, actor.email)


class LinkRefused(IdentityError):
    """The key offered for linking is wrong, for another site, or not accepted here."""


class Accounts:
    """Links, unlinks, and opens gateways on linked keys."""

    def __init__(
        self,
        repo: LinkedAccountRepo,
        audit: AuditRepo,
        *,
        keybox: Keybox | None,
        mode: AccountsMode,
        service_key: str,
        connect: Callable[[str], FlywheelGateway],
        capacity: int = GATEWAYS_KEPT,
    ) -> None:
        self._repo = repo
        self._audit = audit
        self.keybox = keybox
        self.mode: AccountsMode = mode
        self.site = site_of(service_key)
        self._site_prefix = service_key.rsplit(":", 1)[0] if ":" in service_key else ""
        self._connect = connect
        self._capacity = capacity
        self._gateways: OrderedDict[tuple[str, str], FlywheelGateway] = OrderedDict()
        self._links: dict[str, tuple[float, LinkedAccount | None]] = {}
        self._lock = threading.Lock()
        self.on_dropped: Callable[[LinkedAccount], None] = lambda account: None

    # -- what the lab allows ----------------------------------------------
    @property
    def linking_enabled(self) -> bool:
        return self.mode != "shared" and self.keybox is not None

    @property
    def shared_enabled(self) -> bool:
        return self.mode != "linked"

    # -- linking ---------------------------------------------------------
    def link(self, principal: str, api_key: str, *, slack_user_id: str | None = None) -> UserRef:
        """Check the key with Flywheel, then store it encrypted; returns whose it is."""
        keybox = self._require_linking()
        remember_secret(api_key.strip())
        key = self._full_key(api_key)
        try:
            user = self._connect(key).whoami()
        except KeyRejected as exc:
            self._audit_link(principal, slack_user_id, "refused", "key refused by Flywheel")
            raise LinkRefused(
                f"Flywheel at {self.site} does not accept that API key.",
                hint="Copy a current key from your Flywheel profile (API Keys), then "
                "`/fw link` again.",
            ) from exc
        except FlywheelUnavailable:
            raise
        except FwbotError as exc:
            self._audit_link(principal, slack_user_id, "refused", "key check failed")
            raise LinkRefused(
                f"Flywheel at {self.site} could not check that key.",
                hint="Copy a current key from your Flywheel profile, then `/fw link` again.",
            ) from exc
        self._repo.put(
            principal,
            flywheel_user_id=user.user_id,
            email=user.email,
            display_name=user.display_name,
            site=self.site,
            key_ciphertext=keybox.seal(key),
        )
        self._evict(principal)
        self._audit_link(
            principal,
            slack_user_id,
            "allowed",
            f"linked Flywheel user {user.user_id}",
            email=user.email,
        )
        return user

    def unlink(self, principal: str, *, slack_user_id: str | None = None) -> bool:
        removed = self._repo.delete(principal)
        self._evict(principal)
        if removed:
            self._audit_link(principal, slack_user_id, "allowed", "unlinked", action="unlink")
        return removed

    def linked(self, principal: str) -> LinkedAccount | None:
        """The person's link, if they have one on this site."""
        if self.mode == "shared":
            return None
        now = time.monotonic()
        with self._lock:
            cached = self._links.get(principal)
        if cached is not None and cached[0] > now:
            account = cached[1]
        else:
            account = self._repo.get(principal)
            with self._lock:
                self._links[principal] = (now + LINK_TTL_SECONDS, account)
                if len(self._links) > 4 * self._capacity:
                    self._links = {k: v for k, v in self._links.items() if v[0] > now}
        if account is None or account.site != self.site:
            return None
        return account

    @contextmanager
    def as_launcher(self, batch: Batch) -> Iterator[None]:
        """The batch's own work (its launch, resume, tag check, progress, cancel) with its
        launcher's key: ``GET /users/self/jobs`` shows a key only its own jobs, and a
        plain user may cancel only jobs it made. A launcher who unlinked (or whose key
        died) leaves the batch to fwbot's key, where Flywheel lets it."""
        principal = principal_of(batch.requester_slack_id, batch.requester_email)
        try:
            who = self.acting_for(principal)
        except FwbotError:
            who = None
        if who is None and self.mode != "shared":
            log.debug("batch %s: its launcher has no linked key; fwbot's own key", batch.id)
        with acting(who):
            yield

    def acting_for(self, principal: str) -> ActingFor | None:
        """A gateway on the person's own key (None: not linked). One per key, kept open."""
        account = self.linked(principal)
        if account is None or self.keybox is None:
            return None
        cache_key = (principal, account.key_ciphertext)
        with self._lock:
            gateway = self._gateways.get(cache_key)
            if gateway is not None:
                self._gateways.move_to_end(cache_key)
        if gateway is None:
            try:
                secret = self.keybox.open(account.key_ciphertext)
                remember_secret(secret)
            except KeyboxError:
                log.warning("a linked key cannot be decrypted; dropping the link")
                self._drop(account, reason="undecryptable key")
                raise
            try:
                gateway = self._connect(secret)
            except KeyRejected:
                self._drop(account, reason="key refused by Flywheel")
                raise LinkExpired() from None
            with self._lock:
                self._gateways[cache_key] = gateway
                while len(self._gateways) > self._capacity:
                    self._gateways.popitem(last=False)
        return ActingFor(
            principal=principal,
            flywheel_user_id=account.flywheel_user_id,
            gateway=gateway,
            ciphertext=account.key_ciphertext,
        )

    def rejected(self, who: ActingFor) -> None:
        """Flywheel refused a linked key mid-work: forget it (unless re-linked meanwhile)."""
        account = self._repo.get(who.principal)
        if account is None or account.key_ciphertext != who.ciphertext:
            self._evict(who.principal)
            return
        self._drop(account, reason="key refused by Flywheel")

    def rotate(self) -> tuple[int, int]:
        """Re-encrypt every stored key under the first encryption key: (rotated, total)."""
        keybox = self._require_keybox()
        rotated = 0
        accounts = self._repo.all()
        for account in accounts:
            if keybox.is_current(account.key_ciphertext):
                continue
            new = keybox.rotate(account.key_ciphertext)
            rotated += self._repo.replace_ciphertext(account.principal, account.key_ciphertext, new)
        return rotated, len(accounts)

    # -- internals ---------------------------------------------------------
    def _require_keybox(self) -> Keybox:
        if self.keybox is None:
            raise LinkRefused(
                "Linked accounts are not set up on this fwbot.",
                hint="A fwbot admin sets FWBOT_LINK_ENCRYPTION_KEYS (see docs/permissions.md).",
            )
        return self.keybox

    def _require_linking(self) -> Keybox:
        if self.mode == "shared":
            raise LinkRefused(
                "This lab runs fwbot with one shared Flywheel account: there is nothing to link.",
                hint="fwbot finds you by your Slack email.",
            )
        return self._require_keybox()

    def _full_key(self, api_key: str) -> str:
        """The key as the SDK reads it. A bare key (no host) is for this site; a key naming
        another site is refused before anything is sent to it."""
        key = api_key.strip()
        if not key or any(c.isspace() for c in key):
            raise LinkRefused(
                "That does not look like a Flywheel API key.",
                hint="Copy it from your Flywheel profile (API Keys): `host:key`.",
            )
        if ":" not in key:
            return f"{self._site_prefix}:{key}" if self._site_prefix else key
        if site_of(key).casefold() != self.site.casefold():
            raise LinkRefused(
                f"That key is for {site_of(key)}; fwbot serves {self.site}.",
                hint=f"Use a key from your profile on {self.site}.",
            )
        return key

    def _drop(self, account: LinkedAccount, *, reason: str) -> None:
        if self._repo.delete(account.principal, only_ciphertext=account.key_ciphertext):
            self._audit.record_decision(
                actor_email=account.email,
                actor_slack_id=_slack_id(account.principal),
                outcome="refused",
                action="unlink",
                reason=reason,
            )
            try:
                self.on_dropped(account)
            except Exception:  # telling the owner must not break the work that found it
                log.exception("could not tell the owner of a dropped link")
        self._evict(account.principal)

    def _evict(self, principal: str) -> None:
        with self._lock:
            self._links.pop(principal, None)
            for cache_key in [k for k in self._gateways if k[0] == principal]:
                del self._gateways[cache_key]

    def _audit_link(
        self,
        principal: str,
        slack_user_id: str | None,
        outcome: Literal["allowed", "refused"],
        reason: str,
        *,
        email: str | None = None,
        action: str = "link",
    ) -> None:
        self._audit.record_decision(
            actor_email=email or principal,
            actor_slack_id=slack_user_id or _slack_id(principal),
            outcome=outcome,
            action=action,
            reason=reason,
        )


def _slack_id(principal: str) -> str | None:
    return principal.removeprefix("slack:") if principal.startswith("slack:") else None
