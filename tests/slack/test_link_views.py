"""The `/fw link` modal's views and the dropped-link message, built without Slack; and
which command texts open the form."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from slack_sdk import WebClient

from bot.domain import UserRef
from bot.slack.linking import (
    AGAIN,
    CALLBACK_ID,
    CHECKING,
    DROPPED,
    KEY_ACTION,
    KEY_BLOCK,
    NOT_SET_UP,
    SHARED_MODE,
    busy_view,
    checking_view,
    link_modal,
    linked_view,
    not_enabled_text,
    pasted_key,
    refused_view,
    tell_dropped_link,
    view_text,
)
from bot.slack.listeners.link import wants_link_form
from doubles.mock_slack import MockSlack

# Slack's limits for modals (https://docs.slack.dev/reference/views/modal-views)
TITLE_MAX = SUBMIT_MAX = CLOSE_MAX = 24
HINT_MAX = LABEL_MAX = 2000
MAX_BLOCKS = 100


def all_views() -> list[dict[str, object]]:
    return [
        link_modal(),
        checking_view(),
        linked_view(UserRef(user_id="u1", email="ann@lab.org", display_name="Ann"), "fw.lab"),
        refused_view("Flywheel at fw.lab does not accept that API key."),
        busy_view(),
    ]


def test_the_form_asks_for_the_key_in_one_plain_text_input() -> None:
    view = link_modal()

    assert view["type"] == "modal"
    assert view["callback_id"] == CALLBACK_ID
    assert view["title"]["text"] == "Link Flywheel"
    assert view["submit"]["text"] == "Link"
    [block] = view["blocks"]
    assert (block["type"], block["block_id"]) == ("input", KEY_BLOCK)
    assert block["element"]["type"] == "plain_text_input"
    assert block["element"]["action_id"] == KEY_ACTION
    assert block["label"]["text"] == "Your Flywheel API key"
    hint = block["hint"]["text"]
    assert "profile" in hint and "API Keys" in hint
    assert "encrypted" in hint and "never shows it" in hint


@pytest.mark.parametrize("view", all_views(), ids=lambda v: str(v["blocks"])[:40])
def test_every_view_is_within_slacks_limits(view: dict[str, object]) -> None:
    assert view["type"] == "modal"
    assert len(view["title"]["text"]) <= TITLE_MAX  # type: ignore[index]
    assert len(view["close"]["text"]) <= CLOSE_MAX  # type: ignore[index]
    if "submit" in view:
        assert len(view["submit"]["text"]) <= SUBMIT_MAX  # type: ignore[index]
    blocks = view["blocks"]
    assert isinstance(blocks, list) and 0 < len(blocks) <= MAX_BLOCKS
    for block in blocks:
        for field in ("hint", "label"):
            if field in block:
                assert len(block[field]["text"]) <= HINT_MAX


def test_the_views_after_the_form_have_nothing_to_submit() -> None:
    """Only the form has a Link button: "Checking…" and the outcome can only be closed."""
    for view in all_views()[1:]:
        assert "submit" not in view
        assert all(b["type"] != "input" for b in view["blocks"])  # type: ignore[attr-defined]


def test_checking_says_flywheel_is_looking_at_the_key() -> None:
    assert CHECKING in view_text(checking_view())


def test_the_linked_view_is_the_linked_reply() -> None:
    user = UserRef(user_id="u1", email="ann@lab.org", display_name="Ann")

    text = view_text(linked_view(user, "fw.lab"))

    assert "Linked" in text and "ann@lab.org" in text and "fw.lab" in text


def test_a_refusal_says_how_to_try_again_once() -> None:
    plain = view_text(refused_view("Flywheel could not be reached."))
    hinted = view_text(refused_view("No.\nCopy a current key, then `/fw link` again."))

    assert AGAIN in plain
    assert AGAIN not in hinted and hinted.count("/fw link") == 1


def test_a_refusal_is_escaped_for_mrkdwn() -> None:
    view = refused_view("That key is for <evil>&co; fwbot serves fw.lab.")

    assert "&lt;evil&gt;&amp;co" in json.dumps(view["blocks"])


@pytest.mark.parametrize(
    ("submitted", "key"),
    [
        ("  fw.lab:abc123\n", "fw.lab:abc123"),
        ("\tabc123 ", "abc123"),
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_the_pasted_key_is_read_with_the_whitespace_around_it_stripped(
    submitted: str | None, key: str
) -> None:
    state = {} if submitted is None else {KEY_ACTION: {"type": "x", "value": submitted}}
    view = {"state": {"values": {KEY_BLOCK: state}}}

    assert pasted_key(view) == key


def test_a_view_without_state_has_no_key() -> None:
    assert pasted_key({}) == ""
    assert pasted_key({"state": {"values": {"other": {KEY_ACTION: {"value": "k"}}}}}) == ""


def test_why_there_is_no_form() -> None:
    assert not_enabled_text("shared") == SHARED_MODE
    assert "one shared Flywheel account" in SHARED_MODE
    assert not_enabled_text("linked") == NOT_SET_UP == not_enabled_text("both")
    assert "FWBOT_LINK_ENCRYPTION_KEYS" in NOT_SET_UP


@pytest.mark.parametrize(
    ("text", "opens"),
    [
        ("link", True),
        ("LINK", True),
        ("  Link  ", True),
        ("link abc123", True),  # a key typed after it still only opens the form
        ("link help", False),
        ("link --help", False),
        ("link HELP", False),
        ("help link", False),
        ("unlink", False),
        ("linked", False),
        ("", False),
        ("whoami", False),
    ],
)
def test_which_commands_open_the_form(text: str, opens: bool) -> None:
    assert wants_link_form(text) is opens


@dataclass(frozen=True)
class Dropped:
    principal: str


def test_a_dropped_slack_link_sends_its_owner_one_direct_message(mock_slack: MockSlack) -> None:
    tell = tell_dropped_link(WebClient(token="xoxb-test", base_url=mock_slack.api_url))

    tell(Dropped("slack:U0ANN"))
    tell(Dropped("console:ann@lab.org"))  # the console has no one to message

    [call] = mock_slack.calls("chat.postMessage")
    assert call.args["channel"] == "U0ANN"
    assert call.args["text"] == DROPPED
    assert "`/fw link`" in DROPPED and "Flywheel refused it" in DROPPED


def test_a_dropped_link_message_slack_refuses_is_only_logged(mock_slack: MockSlack) -> None:
    mock_slack.api_errors["chat.postMessage"] = "channel_not_found"
    tell = tell_dropped_link(WebClient(token="xoxb-test", base_url=mock_slack.api_url))

    tell(Dropped("slack:U0GONE"))  # no exception into the work that found the 401

    assert len(mock_slack.calls("chat.postMessage")) == 1
