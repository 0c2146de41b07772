"""Slack user -> Actor: users.info for the email, a Flywheel account check, a cache."""

from __future__ import annotations

import re

import pytest
from slack_sdk import WebClient

from bot.domain import Actor
from bot.errors import IdentityError
from bot.service import Services
from bot.service.policy import Policy
from bot.slack.identity import NO_EMAIL, UNKNOWN_USER, ResolveActor, resolve_actor_via
from bot.store.db import Store
from doubles.mock_slack import MockSlack
from tests.fakes import FakeFlywheelGateway, fake_services


@pytest.fixture
def client(mock_slack: MockSlack) -> WebClient:
    return WebClient(token="xoxb-fwbot-test", base_url=mock_slack.api_url)


@pytest.fixture
def services(sqlite_store: Store) -> Services:
    gateway = FakeFlywheelGateway(users={"analyst@fwbot.test", "ops@fwbot.test"})
    return fake_services(sqlite_store, gateway, Policy(bot_admins=["ops@fwbot.test"]))


@pytest.fixture
def resolve(services: Services) -> ResolveActor:
    return resolve_actor_via(services.identity)


def test_builds_the_actor_from_the_profile(client: WebClient, resolve: ResolveActor) -> None:
    actor = resolve(client, "U0ALICE", "C0LAB")

    assert actor == Actor(
        slack_user_id="U0ALICE",
        email="analyst@fwbot.test",
        display_name="Alice",
        channel_id="C0LAB",
        flywheel_user_id="analyst@fwbot.test",
        via="slack",
    )


def test_a_resolved_user_is_cached_so_later_commands_skip_users_info(
    client: WebClient, resolve: ResolveActor, mock_slack: MockSlack
) -> None:
    first = resolve(client, "U0ALICE", "C0LAB")
    second = resolve(client, "U0ALICE", "C0OTHER")

    assert len(mock_slack.calls("users.info")) == 1
    assert second.email == first.email
    assert second.channel_id == "C0OTHER"  # the channel is per request, never cached


def test_bot_admins_come_from_the_policy(
    client: WebClient, resolve: ResolveActor, mock_slack: MockSlack
) -> None:
    mock_slack.add_user("U0OPS", "ops@fwbot.test", "Opal")

    assert resolve(client, "U0OPS", None).bot_admin is True
    assert resolve(client, "U0ALICE", None).bot_admin is False


def test_a_slack_user_without_a_flywheel_account_is_told_so_and_not_cached(
    client: WebClient, resolve: ResolveActor, mock_slack: MockSlack
) -> None:
    mock_slack.add_user("U0NEW", "newcomer@fwbot.test", "Newt")

    for _ in range(2):
        with pytest.raises(IdentityError) as err:
            resolve(client, "U0NEW", None)
        assert "no Flywheel account for newcomer@fwbot.test" in err.value.user_text()
    assert len(mock_slack.calls("users.info")) == 2  # a miss is asked again next time


def test_bot_users_and_users_without_email_are_refused(
    client: WebClient, resolve: ResolveActor, mock_slack: MockSlack
) -> None:
    mock_slack.add_user("U0BOT", "bot@fwbot.test", is_bot=True)
    mock_slack.add_user("U0NOMAIL", None)

    for user_id in ("U0BOT", "U0NOMAIL"):
        with pytest.raises(IdentityError) as err:
            resolve(client, user_id, None)
        assert err.value.user_text() == NO_EMAIL


def test_missing_scope_and_unknown_user(
    client: WebClient, resolve: ResolveActor, mock_slack: MockSlack
) -> None:
    with pytest.raises(IdentityError, match=re.escape(UNKNOWN_USER)):
        resolve(client, "U0GHOST", None)

    mock_slack.api_errors["users.info"] = "missing_scope"
    with pytest.raises(IdentityError, match=r"users:read\.email"):
        resolve(client, "U0ALICE", None)
