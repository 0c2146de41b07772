"""Socket Mode: a real WebSocket from slack_sdk's builtin client to the mock Slack.

The mock hands out ``ws://127.0.0.1:PORT/ws/...`` from ``apps.connections.open``,
pushes a ``slash_commands`` envelope, and records the ack the client sends back.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench.polling import eventually
from bot.slack.identity import NO_EMAIL
from doubles.mock_slack import MockSlack
from doubles.signing import PAYLOADS, captured_envelope, slash_command_form
from tests.fixtures.slack import APP_TOKEN


def envelope(envelope_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "envelope_id": envelope_id,
        "type": "slash_commands",
        "payload": payload,
        "accepts_response_payload": True,
    }


def test_connection_uses_the_app_token(socket_connected: None, mock_slack: MockSlack) -> None:
    opened = mock_slack.calls("apps.connections.open")
    assert len(opened) == 1
    assert opened[0].token == APP_TOKEN


def test_slash_command_envelope_is_acked_then_answered(
    socket_connected: None, mock_slack: MockSlack
) -> None:
    form = slash_command_form("gear qsiprep-hpc", response_url=mock_slack.response_url("sock1"))

    mock_slack.send_envelope(envelope("env-1", form))

    acks = eventually(lambda: mock_slack.socket_acks("env-1"), "the ack of env-1")
    assert acks == [{"envelope_id": "env-1"}]  # an empty ack
    answer = eventually(lambda: mock_slack.responses("sock1"), "the answer to sock1")[0].body
    assert "qsiprep-hpc" in answer["text"] + json.dumps(answer["blocks"])


def test_identity_failure_is_answered_after_an_empty_socket_ack(
    socket_connected: None, mock_slack: MockSlack
) -> None:
    mock_slack.add_user("U0NOMAIL", None)
    form = slash_command_form(
        "gears", response_url=mock_slack.response_url("sock2"), user_id="U0NOMAIL"
    )

    mock_slack.send_envelope(envelope("env-2", form))

    acks = eventually(lambda: mock_slack.socket_acks("env-2"), "the ack of env-2")
    assert acks == [{"envelope_id": "env-2"}]  # nothing looked up before the ack
    answer = eventually(lambda: mock_slack.responses("sock2"), "the answer to sock2")[0].body
    assert (answer["response_type"], answer["text"]) == ("ephemeral", NO_EMAIL)


@pytest.mark.parametrize("name", sorted(p.name for p in PAYLOADS.glob("socket_*.json")))
def test_captured_envelopes_are_acked_and_answered(
    name: str, socket_connected: None, mock_slack: MockSlack
) -> None:
    env = captured_envelope(name, response_url=mock_slack.response_url(name))

    mock_slack.send_envelope(env)

    assert eventually(lambda: mock_slack.socket_acks(env["envelope_id"]), "the ack")
    answer = eventually(lambda: mock_slack.responses(name), f"the answer to {name}")[0]
    assert answer.body["text"].strip()


def test_the_captured_payloads_are_there() -> None:
    """The replay tests are parametrized over these files: none would mean none ran."""
    assert sorted(p.suffix for p in PAYLOADS.iterdir()) == [".json", ".urlencoded"]
