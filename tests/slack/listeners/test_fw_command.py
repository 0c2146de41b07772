"""`/fw` end to end through the real bolt app over signed HTTP, answered via response_url."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from slack_bolt import BoltContext

from bench.polling import eventually
from bot.domain import Actor
from bot.service import Services
from bot.settings import Settings
from bot.slack.answers import Answering, AnswerPool
from bot.slack.app import create_app
from bot.slack.listeners.fw_command import handle_fw
from bot.slack.runner import HttpServer, run_http
from doubles.mock_slack import MockSlack
from doubles.signing import PAYLOADS, captured_form, post_form, slash_command_form
from tests.fakes import FakeFlywheelGateway
from tests.fixtures.slack import SIGNING_SECRET, Slash


def test_gears_answers_by_response_url_with_text_and_blocks(slash: Slash) -> None:
    call = slash("gears")

    assert call.http.status == 200
    assert call.http.body == ""  # an empty ack: the answer comes separately
    answer = call.answer()
    assert "qsiprep-hpc" in answer["text"]
    assert answer["blocks"], "gears should be rendered as Block Kit"
    assert "qsiprep-hpc" in json.dumps(answer["blocks"])
    assert answer["replace_original"] is False
    assert answer["response_type"] in {"ephemeral", "in_channel"}


def test_gear_detail_shows_versions_and_config(slash: Slash) -> None:
    answer = slash("gear qsiprep-hpc").answer()

    rendered = answer["text"] + json.dumps(answer["blocks"])
    assert "qsiprep-hpc" in rendered
    assert "0.21.4" in rendered
    assert "hmc_model" in rendered


def test_ack_returns_before_the_answer_is_computed(
    slash: Slash, slack_gateway: FakeFlywheelGateway, mock_slack: MockSlack
) -> None:
    release = threading.Event()
    slack_gateway.gate = release  # list_gears blocks until released

    call = slash("gears")

    assert call.http.status == 200  # the ack came back while the listener is still blocked
    assert call.answers() == []
    release.set()
    assert "qsiprep-hpc" in call.answer()["text"]


def test_the_bot_token_is_checked_once_when_the_app_is_built_never_before_an_ack(
    slack_settings: Settings, slack_services: Services, mock_slack: MockSlack
) -> None:
    app = create_app(slack_settings, slack_services)
    auth = mock_slack.calls("auth.test")
    assert len(auth) == 1 and auth[0].token == "xoxb-fwbot-test"
    mock_slack.forget()
    server = run_http(app, port=0, host="127.0.0.1").start_in_thread()
    try:
        for n in range(2):
            form = slash_command_form(
                "help", response_url=mock_slack.response_url(f"t{n}"), user_id="U0ALICE"
            )
            assert post_form(server.url, form, SIGNING_SECRET).status == 200
        eventually(lambda: len(mock_slack.responses()) == 2, "both answers")
    finally:
        server.shutdown()

    assert mock_slack.calls("auth.test") == []


ODD_INPUT = {
    "unknown subcommand": "frobnicate now",
    "unknown gear": "gear qsiprep-hcp",
    "empty": "",
    "10,000 characters": "x" * 10_000,
    "emoji, RTL and zero-width": "🧠\u200b\u202eשלום\u200d",
    "odd unicode gear": "gear qsi\u200bprep-hpc",
    "unbalanced quotes": 'gears "qsiprep',
    "whitespace only": " \t ",
}


@pytest.mark.parametrize("text", ODD_INPUT.values(), ids=ODD_INPUT.keys())
def test_bad_input_gets_a_short_ephemeral_answer(slash: Slash, text: str) -> None:
    call = slash(text)

    assert call.http.status == 200
    answer = call.answer()
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].strip(), "never silence"
    assert len(answer["text"]) <= 3000
    assert "Traceback" not in json.dumps(answer)
    assert "Something went wrong" not in answer["text"], "user mistakes are not our errors"


def test_unknown_gear_suggests_the_nearest_name(slash: Slash) -> None:
    answer = slash("gear qsiprep-hcp").answer()

    assert "qsiprep-hpc" in answer["text"] + json.dumps(answer.get("blocks", []))


def test_blocks_slack_refuses_fall_back_to_text(slash: Slash, mock_slack: MockSlack) -> None:
    mock_slack.reject_blocks = True

    answer = slash("gears").answer()

    assert "qsiprep-hpc" in answer["text"]
    assert "blocks" not in answer


@pytest.mark.parametrize("name", sorted(p.name for p in PAYLOADS.glob("*.urlencoded")))
def test_captured_slash_commands_are_answered(
    name: str, slack_http: HttpServer, mock_slack: MockSlack
) -> None:
    form = captured_form(name, response_url=mock_slack.response_url(name))

    result = post_form(slack_http.url, form, SIGNING_SECRET)

    assert result.status == 200
    posts = eventually(lambda: mock_slack.responses(name), f"the answer to {name}")
    assert posts[0].body["text"].strip()


def test_slack_escaped_text_is_read_as_the_user_typed_it(slash: Slash) -> None:
    # Slack sends `gear R&D<1>` as `gear R&amp;D&lt;1&gt;`; the answer names what was typed.
    answer = slash("gear R&amp;D&lt;1&gt;").answer()

    assert "R&amp;D&lt;1&gt;" in answer["text"]  # one level of mrkdwn escaping, not two
    assert "&amp;amp;" not in answer["text"]


def test_handle_fw_imported_acks_then_answers_on_the_response_url(
    slack_services: Services,
) -> None:
    """The listener is a module-level function: called as bolt would, without Slack."""
    calls: list[tuple[str, dict[str, Any]]] = []
    context = BoltContext({"response_url": "https://hooks.slack.test/x", "user_id": "U01ADA"})
    pool = AnswerPool(threads=1, backlog=0)
    ada = Actor(email="ada@lab.org", slack_user_id="U01ADA")

    handle_fw(
        lambda *a, **k: calls.append(("ack", k)),  # type: ignore[arg-type]
        {"text": "help gears"},
        lambda *a, **k: calls.append(("respond", k)),  # type: ignore[arg-type]
        context,
        Answering(slack_services, pool, lambda client, user, channel: ada),
    )
    pool.shutdown(wait=True)

    assert [name for name, _ in calls] == ["ack", "respond"]
    assert "/fw gears" in calls[1][1]["text"]
