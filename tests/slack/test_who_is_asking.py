"""Who is asking: after the ack, in the answer pool, the Slack user becomes an Actor by
email (one ``users.info``); a user fwbot cannot map is told why on the response_url."""

from __future__ import annotations

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


def test_user_without_email_is_acked_then_told_why(slash: Slash, mock_slack: MockSlack) -> None:
    mock_slack.add_user("U0NOMAIL", None, "Mallory")

    call = slash("gears", user_id="U0NOMAIL")

    assert (call.http.status, call.http.body) == (200, "")  # the ack waits for nothing
    answer = call.answer()
    assert (answer["response_type"], answer["text"]) == ("ephemeral", NO_EMAIL)
    assert "users:read.email" in answer["text"]


def test_user_unknown_to_slack_gets_an_identity_message(slash: Slash) -> None:
    call = slash("gears", user_id="U0GHOST")

    assert call.http.body == ""
    answer = call.answer()
    assert answer["response_type"] == "ephemeral"
    assert "Flywheel account" in answer["text"]
