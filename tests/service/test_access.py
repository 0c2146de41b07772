"""The Authorizer: Flywheel roles plus the lab policy, every decision audited."""

from __future__ import annotations

import pytest

from bot.domain import Actor, ProjectRef, ProjectRole
from bot.errors import PermissionDenied
from bot.service.access import Authorizer
from bot.service.policy import Policy
from bot.service.use_cases import NEEDS, Access, UseCase
from bot.store.db import Store
from tests.fakes import FakeFlywheelGateway

PROJECT = ProjectRef(project_id="p1", label="gear_testing", group="pennlinc")
ROLES: dict[str, ProjectRole] = {
    "ada@lab.org": "admin",
    "andy@lab.org": "read-write",
    "vera@lab.org": "read-only",
}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def gateway() -> FakeFlywheelGateway:
    gw = FakeFlywheelGateway(projects=[PROJECT])
    gw.roles[PROJECT.project_id] = dict(ROLES)
    return gw


@pytest.fixture
def clock() -> Clock:
    return Clock()


def authorizer(
    gateway: FakeFlywheelGateway, store: Store, clock: Clock, **policy: object
) -> Authorizer:
    return Authorizer(gateway, Policy.model_validate(policy), store.audit, clock=clock)


def actor(email: str, **extra: object) -> Actor:
    return Actor.model_validate({"email": email, "slack_user_id": "U1", **extra})


# (who, access) -> allowed? ; "otto" has no role, "opal" is a bot admin with no role
TABLE = {
    ("otto@lab.org", Access.SITE): True,
    ("otto@lab.org", Access.READ): False,
    ("vera@lab.org", Access.READ): True,
    ("vera@lab.org", Access.WRITE): False,
    ("andy@lab.org", Access.WRITE): True,
    ("andy@lab.org", Access.MANAGE): False,  # not the launcher, not an admin
    ("ada@lab.org", Access.MANAGE): True,
    ("opal@lab.org", Access.READ): True,
    ("opal@lab.org", Access.WRITE): False,  # fwbot admin is not a Flywheel write grant
    ("opal@lab.org", Access.MANAGE): True,
}
# One use case of each access level: the table checks the levels, through real use cases.
USE_CASE_FOR = {access: next(u for u, a in NEEDS.items() if a is access) for _, access in TABLE}


@pytest.mark.parametrize(("email", "access"), TABLE.keys(), ids=lambda v: str(v))
def test_decisions_follow_roles_and_policy(
    gateway: FakeFlywheelGateway, sqlite_store: Store, clock: Clock, email: str, access: Access
) -> None:
    authz = authorizer(gateway, sqlite_store, clock, bot_admins=["opal@lab.org"])
    who = actor(email, bot_admin=email == "opal@lab.org")

    use_case = USE_CASE_FOR[access]
    if TABLE[(email, access)]:
        authz.authorize(who, use_case, project=PROJECT)
        outcome = "allowed"
    else:
        with pytest.raises(PermissionDenied):
            authz.authorize(who, use_case, project=PROJECT)
        outcome = "refused"
    [event] = sqlite_store.audit.recent()
    assert (event.actor_email, event.action, event.outcome) == (email, use_case.value, outcome)
    assert event.project_label == "gear_testing"


def test_the_launcher_may_manage_their_own_batch(
    gateway: FakeFlywheelGateway, sqlite_store: Store, clock: Clock
) -> None:
    authz = authorizer(gateway, sqlite_store, clock)
    authz.authorize(
        actor("andy@lab.org"), UseCase.CANCEL_JOBS, project=PROJECT, launcher="andy@lab.org"
    )
    with pytest.raises(PermissionDenied) as err:
        authz.authorize(
            actor("vera@lab.org"), UseCase.CANCEL_JOBS, project=PROJECT, launcher="andy@lab.org"
        )
    assert "launched by andy@lab.org" in err.value.message


def test_a_refusal_says_what_you_have_what_is_needed_and_whom_to_ask(
    gateway: FakeFlywheelGateway, sqlite_store: Store, clock: Clock
) -> None:
    authz = authorizer(gateway, sqlite_store, clock)

    with pytest.raises(PermissionDenied) as err:
        authz.authorize(actor("vera@lab.org"), UseCase.LAUNCH_REQUEST, project=PROJECT)

    assert err.value.message == (
        "You have read-only access to `gear_testing`; this needs read-write access. "
        "Ask a project admin: ada@lab.org."
    )
    [event] = sqlite_store.audit.recent()
    assert event.reason == "role read-only"


def test_channels_outside_the_policy_are_refused_before_anything_else(
    gateway: FakeFlywheelGateway, sqlite_store: Store, clock: Clock
) -> None:
    authz = authorizer(gateway, sqlite_store, clock, allowed_channels=["C0LAB"])

    authz.authorize(actor("ada@lab.org", channel_id="C0LAB"), UseCase.GEARS_LIST)
    with pytest.raises(PermissionDenied, match="not enabled in this channel"):
        authz.authorize(actor("ada@lab.org", channel_id="C0RANDOM"), UseCase.GEARS_LIST)
    authz.authorize(actor("ada@lab.org", via="console"), UseCase.GEARS_LIST)  # no channel

    assert [e.outcome for e in sqlite_store.audit.recent()] == ["allowed", "refused", "allowed"]


def test_project_roles_are_read_once_per_ttl(
    gateway: FakeFlywheelGateway, sqlite_store: Store, clock: Clock
) -> None:
    authz = authorizer(gateway, sqlite_store, clock)
    for _ in range(3):
        authz.authorize(actor("vera@lab.org"), UseCase.HISTORY_PROJECT, project=PROJECT)
    assert gateway.calls.count("project_roles") == 1

    clock.now += 31
    gateway.roles[PROJECT.project_id]["vera@lab.org"] = "none"  # access revoked in Flywheel
    with pytest.raises(PermissionDenied):
        authz.authorize(actor("vera@lab.org"), UseCase.HISTORY_PROJECT, project=PROJECT)
    assert gateway.calls.count("project_roles") == 2


def test_capabilities_decide_what_help_offers(
    gateway: FakeFlywheelGateway, sqlite_store: Store, clock: Clock
) -> None:
    authz = authorizer(gateway, sqlite_store, clock)

    assert authz.capabilities(actor("otto@lab.org")) == {Access.SITE}
    assert authz.capabilities(actor("vera@lab.org")) == {Access.SITE, Access.READ}
    assert Access.WRITE in authz.capabilities(actor("andy@lab.org"))
    assert Access.BOT_ADMIN in authz.capabilities(actor("opal@lab.org", bot_admin=True))
    assert sqlite_store.audit.recent() == []  # asking what help may show is not a decision
