"""The global error handler: our bugs become a "ref" message that matches a log line."""

from __future__ import annotations

import json
import logging
import re

import pytest

from bench.polling import eventually
from bot.slack.runner import HttpServer
from doubles.mock_slack import MockSlack
from doubles.signing import post_form, slash_command_form
from tests.fakes import FakeFlywheelGateway
from tests.fixtures.slack import SIGNING_SECRET, Slash

REF = re.compile(r"ref `([0-9a-f]{6})`")


def test_bug_in_a_service_answers_with_a_ref_that_is_logged(
    slash: Slash, slack_gateway: FakeFlywheelGateway, caplog: pytest.LogCaptureFixture
) -> None:
    slack_gateway.explode = True
    caplog.set_level(logging.ERROR, logger="bot.slack.errors")

    call = slash("gears")

    assert call.http.status == 200  # still acked, although the listener failed right after
    answer = call.answer()
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("Something went wrong on our side (ref `")
    assert "boom" not in json.dumps(answer) and "Traceback" not in json.dumps(answer)
    match = REF.search(answer["text"])
    assert match is not None
    logged = [r for r in caplog.records if f"ref={match.group(1)}" in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].exc_info is not None  # logged with the traceback, for us


def test_unexpected_slack_error_while_resolving_the_user_is_answered_after_the_ack(
    slash: Slash, mock_slack: MockSlack, caplog: pytest.LogCaptureFixture
) -> None:
    mock_slack.api_errors["users.info"] = "fatal_error"
    caplog.set_level(logging.ERROR, logger="bot.slack.errors")

    call = slash("gears")

    assert (call.http.status, call.http.body) == (200, "")
    answer = call.answer()
    assert answer["response_type"] == "ephemeral"
    match = REF.search(answer["text"])
    assert match is not None
    assert any(f"ref={match.group(1)}" in r.getMessage() for r in caplog.records)


def test_dead_response_url_falls_back_to_post_ephemeral(
    slack_http: HttpServer, slack_gateway: FakeFlywheelGateway, mock_slack: MockSlack
) -> None:
    """A bug and a dead response_url: still acked, and the ref goes by chat.postEphemeral."""
    slack_gateway.explode = True
    dead = "http://127.0.0.1:9/response/unreachable"

    result = post_form(
        slack_http.url, slash_command_form("gears", response_url=dead), SIGNING_SECRET
    )

    assert result.status == 200
    posted = eventually(lambda: mock_slack.calls("chat.postEphemeral"), "an ephemeral post")
    assert posted[0].args["user"] == "U0ALICE"
    assert posted[0].args["channel"] == "C0LAB"
    assert REF.search(posted[0].args["text"])
