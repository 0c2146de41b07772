"""Identity middleware: the Slack user becomes an Actor by email, once, before the listener."""

from __future__ import annotations

import json

from bot.slack.identity import NO_EMAIL
from doubles.mock_slack import MockSlack
from tests.fixtures.slack import Slash


def test_actor_is_resolved_once_per_command_by_users_info(
    slash: Slash, mock_slack: MockSlack
) -> None:
    slash("gears").answer()

    calls = mock_slack.calls("users.info")
    assert [c.args["user"] for c in calls] == ["U0ALICE"]
    assert calls[0].token == "xoxb-fwbot-test"


def test_user_without_email_is_told_why_in_the_ack(slash: Slash, mock_slack: MockSlack) -> None:
    mock_slack.add_user("U0NOMAIL", None, "Mallory")

    call = slash("gears", user_id="U0NOMAIL")

    assert call.http.status == 200
    ack = json.loads(call.http.body)
    assert ack == {"response_type": "ephemeral", "text": NO_EMAIL}
    assert "users:read.email" in ack["text"]


def test_user_unknown_to_slack_gets_an_identity_message(slash: Slash) -> None:
    call = slash("gears", user_id="U0GHOST")

    ack = json.loads(call.http.body)
    assert ack["response_type"] == "ephemeral"
    assert "Flywheel account" in ack["text"]
