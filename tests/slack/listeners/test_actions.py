"""Buttons through the real bolt app over signed HTTP: ack, run the mapped command,
answer by response_url. The launch flows themselves are in tests/e2e/test_launch_e2e.py."""

from __future__ import annotations

import json

import pytest

from bot.errors import UsageError
from bot.slack.listeners.actions import BROKEN_BUTTON, parse_click
from bot.slack.runner import HttpServer
from bot.store.db import Store
from doubles.mock_slack import MockSlack
from doubles.signing import block_actions_form, post_form
from tests.fixtures.slack import SIGNING_SECRET, Click


def test_a_click_is_acked_empty_and_answered_by_response_url(click: Click) -> None:
    call = click("fw_confirm", "bzzzz")

    assert call.http.status == 200 and call.http.body == ""
    answer = call.answer()
    assert "No batch named `bzzzz`" in answer["text"]
    # a refusal or mistake never replaces the message the button was on
    assert answer["replace_original"] is False
    assert answer["response_type"] == "ephemeral"


@pytest.mark.parametrize(
    ("action_id", "value"),
    [
        ("fw_confirm", "b7k2q; drop table"),
        ("fw_confirm", ""),
        ("fw_confirm", "B7K2Q"),
        ("fw_confirm", "b" + "a" * 20),
        ("fw_explode", "b7k2q"),
    ],
)
def test_a_value_or_action_we_never_made_gets_a_short_error(
    click: Click, sqlite_store: Store, action_id: str, value: str
) -> None:
    answer = click(action_id, value).answer()

    assert BROKEN_BUTTON in answer["text"]
    assert answer["replace_original"] is False and answer["response_type"] == "ephemeral"
    assert sqlite_store.batches.find() == []


def test_parse_click_maps_each_button_to_its_command() -> None:
    assert parse_click({"action_id": "fw_confirm", "value": "b7k2q"}).text == "confirm b7k2q"
    assert parse_click({"action_id": "fw_approve", "value": "b7k2q"}).text == "approve b7k2q"
    assert parse_click({"action_id": "fw_cancel_plan", "value": "b7k2q"}).text == "cancel b7k2q"
    with pytest.raises(UsageError):
        parse_click({"action_id": "fw_confirm"})


def test_an_unsigned_or_forged_click_gets_401_and_runs_nothing(
    slack_http: HttpServer, mock_slack: MockSlack
) -> None:
    form = block_actions_form("fw_confirm", "b7k2q", response_url=mock_slack.response_url("x"))

    forged = post_form(slack_http.url, form, "not-the-signing-secret")
    tampered = post_form(slack_http.url, form, SIGNING_SECRET, tamper=True)

    assert (forged.status, tampered.status) == (401, 401)
    assert mock_slack.calls() == [] and mock_slack.responses() == []


def test_the_clicker_is_resolved_like_a_typer(click: Click, mock_slack: MockSlack) -> None:
    click("fw_cancel_plan", "bzzzz").answer()

    assert [c.args["user"] for c in mock_slack.calls("users.info")] == ["U0ALICE"]
    assert json.dumps(mock_slack.responses()[0].body).count("bzzzz") >= 1
