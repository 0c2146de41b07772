"""The use cases of linked accounts: link, unlink, who am I, and running a command as its
person.

``speaking_as(actor)`` is the one place a command starts talking to Flywheel with the
actor's own key: the adapters' single entry points (``commands.dispatch`` for text,
``commands.clicks`` for buttons) wrap every command in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bot.domain import Actor, ProjectRole, UserRef
from bot.flywheel.gateway import FlywheelGateway
from bot.service.access import Authorizer
from bot.service.accounts import (
    Accounts,
    acting,
    actor_principal,
    principal_of,
)
from bot.service.door import Door, unchecked, use_case
from bot.service.identity import IdentityService
from bot.service.use_cases import UseCase


@dataclass(frozen=True)
class WhoAmI:
    """What `/fw whoami` shows: who fwbot takes you for, how it knows, your roles."""

    email: str
    display_name: str
    flywheel_user_id: str | None
    linked: bool
    site: str
    link_offered: bool
    roles: dict[str, ProjectRole]  # project label -> role, on the projects fwbot serves


class LinkingService:
    def __init__(
        self,
        accounts: Accounts,
        identity: IdentityService,
        gateway: FlywheelGateway,
        access: Authorizer,
    ) -> None:
        self._accounts = accounts
        self._identity = identity
        self._gateway = gateway
        self._door = Door(access)

    @property
    def mode(self) -> str:
        return self._accounts.mode

    @property
    def site(self) -> str:
        return self._accounts.site

    @property
    def linking_enabled(self) -> bool:
        return self._accounts.linking_enabled

    @unchecked("how the actor's calls go out (their own key), not what they may do")
    @contextmanager
    def speaking_as(self, actor: Actor) -> Iterator[None]:
        """Every Flywheel call in the body goes out with the actor's linked key (or fwbot's
        shared key when they have none)."""
        who = self._accounts.acting_for(actor_principal(actor)) if actor.linked else None
        with acting(who):
            yield

    @unchecked("the key is the proof: no actor yet, Accounts audits the link")
    def link(self, slack_user_id: str | None, email: str, api_key: str) -> UserRef:
        """Link the key (checked with Flywheel, stored encrypted); returns whose it is."""
        principal = _principal(slack_user_id, email)
        user = self._accounts.link(principal, api_key, slack_user_id=slack_user_id)
        if slack_user_id:
            self._identity.forget(slack_user_id)
        return user

    @unchecked("the actor's own key, forgotten: Accounts audits the unlink")
    def unlink(self, actor: Actor) -> bool:
        """Forget the actor's linked key; False when there was none."""
        slack_user_id = actor.slack_user_id
        principal = _principal(slack_user_id, actor.email)
        removed = self._accounts.unlink(principal, slack_user_id=slack_user_id)
        if slack_user_id:
            self._identity.forget(slack_user_id)
        return removed

    @use_case(UseCase.WHOAMI)
    def whoami(self, actor: Actor) -> WhoAmI:
        self._door.site(actor, UseCase.WHOAMI)
        with self.speaking_as(actor):  # not linked: what fwbot's own key sees of them
            roles = self._gateway.all_project_roles(actor.user_key)
        return WhoAmI(
            email=actor.email,
            display_name=actor.display_name,
            flywheel_user_id=actor.flywheel_user_id,
            linked=actor.linked,
            site=self._accounts.site,
            link_offered=actor.link_offered,
            roles=dict(sorted(roles.items())),
        )


def _principal(slack_user_id: str | None, email: str) -> str:
    return principal_of(slack_user_id, email)
