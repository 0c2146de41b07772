"""``resolve_actor_by_email``: one users.info call, the profile email, clear refusals."""

from __future__ import annotations

import re

import pytest
from slack_sdk import WebClient

from bot.domain import Actor
from bot.errors import IdentityError
from bot.slack.identity import NO_EMAIL, UNKNOWN_USER, resolve_actor_by_email
from tests.slack.mock_slack import MockSlack


@pytest.fixture
def client(mock_slack: MockSlack) -> WebClient:
    return WebClient(token="xoxb-fwbot-test", base_url=mock_slack.api_url)


def test_builds_the_actor_from_the_profile(client: WebClient) -> None:
    actor = resolve_actor_by_email(client, "U0ALICE", "C0LAB")

    assert actor == Actor(
        slack_user_id="U0ALICE",
        email="analyst@fwbot.test",
        display_name="Alice",
        channel_id="C0LAB",
        via="slack",
    )


def test_bot_users_and_users_without_email_are_refused(
    client: WebClient, mock_slack: MockSlack
) -> None:
    mock_slack.add_user("U0BOT", "bot@fwbot.test", is_bot=True)
    mock_slack.add_user("U0NOMAIL", None)

    for user_id in ("U0BOT", "U0NOMAIL"):
        with pytest.raises(IdentityError) as err:
            resolve_actor_by_email(client, user_id, None)
        assert err.value.user_text() == NO_EMAIL


def test_missing_scope_and_unknown_user(client: WebClient, mock_slack: MockSlack) -> None:
    with pytest.raises(IdentityError, match=re.escape(UNKNOWN_USER)):
        resolve_actor_by_email(client, "U0GHOST", None)

    mock_slack.api_errors["users.info"] = "missing_scope"
    with pytest.raises(IdentityError, match=r"users:read\.email"):
        resolve_actor_by_email(client, "U0ALICE", None)
