"""`fwbot serve` in Socket Mode serves `/healthz`, `/readyz` and `/metrics` on its health
port (``FWBOT_HEALTH_PORT``), and a command sent as a Socket Mode envelope moves the
command counter and the ack histogram; while its WebSocket is down (no command can
reach it) `/readyz` says so, and it is ready again once the bot has reconnected.

A real process (``doubles.fwbot_process`` with ``socket_mode``) connected to the mock
Slack's WebSocket; the local Flywheel behind it. Behaviour only: every wait polls.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.polling import eventually
from doubles.fwbot_process import FwbotProcess, fwbot_env
from doubles.mock_slack import MockSlack
from doubles.scrape import scrape
from doubles.signing import slash_command_form
from localfw.demo_world import DEMO_BOT, build_demo_world
from localfw.server import LocalFlywheel
from localfw.simulator import SimClock

ADMIN = "U0ADMIN"  # tests/e2e/conftest.py


@pytest.fixture
def socket_bot(mock_slack: MockSlack, tmp_path: Path) -> Iterator[FwbotProcess]:
    lf = LocalFlywheel(
        build_demo_world(), api_key="socket-health-key", user=DEMO_BOT, clock=SimClock()
    ).start()
    env = fwbot_env(
        mock_slack,
        flywheel_api_key=lf.sdk_api_key,
        data_dir=tmp_path / "data",
        readiness_interval="0.5",  # probes every half second: a lost WebSocket shows soon
    )
    env.pop("FWBOT_SLACK_SIGNING_SECRET")  # Socket Mode needs none
    bot = FwbotProcess(env, tmp_path / "bot", mock_slack, socket_mode=True, flywheel=lf)
    try:
        bot.start()
        yield bot
    finally:
        bot.stop()
        lf.stop()


def test_socket_mode_serves_health_readiness_and_metrics_and_counts_commands(
    socket_bot: FwbotProcess, mock_slack: MockSlack
) -> None:
    assert socket_bot.get("/healthz") == (200, "ok")
    socket_bot.wait_ready()
    assert socket_bot.get("/readyz") == (200, "ready")
    assert socket_bot.get("/slack/events")[0] == 404  # probes and metrics only
    before = scrape(socket_bot.base_url + "/metrics")
    assert mock_slack.calls("apps.connections.open")

    form = slash_command_form(
        "gear qsiprep-hpc", response_url=mock_slack.response_url("sock-health"), user_id=ADMIN
    )
    mock_slack.wait_for_socket()
    mock_slack.send_envelope(
        {
            "envelope_id": "env-health",
            "type": "slash_commands",
            "payload": form,
            "accepts_response_payload": True,
        }
    )

    assert eventually(lambda: mock_slack.socket_acks("env-health"), "the ack of env-health")
    answer = eventually(lambda: mock_slack.responses("sock-health"), "the answer to sock-health")
    assert "qsiprep-hpc" in answer[0].body["text"] + json.dumps(answer[0].body.get("blocks"))

    def counted() -> bool:
        after = scrape(socket_bot.base_url + "/metrics")
        ok = {"command": "gear", "outcome": "ok"}
        return (
            after.get("fwbot_commands_total", **ok) == before.get("fwbot_commands_total", **ok) + 1
            and after.get("fwbot_ack_seconds_count") >= before.get("fwbot_ack_seconds_count") + 1
        )

    assert eventually(counted, "the command and its ack counted")
    after = scrape(socket_bot.base_url + "/metrics")
    assert after.get("fwbot_flywheel_requests_total", route="GET /api/gears", status="200") >= 1
    assert after.get("process_resident_memory_bytes") > 0


def test_readyz_says_when_the_websocket_is_down_and_recovers_on_reconnect(
    socket_bot: FwbotProcess, mock_slack: MockSlack
) -> None:
    socket_bot.wait_ready()
    mock_slack.wait_for_socket()
    opened = len(mock_slack.calls("apps.connections.open"))
    mock_slack.api_errors["apps.connections.open"] = "internal_error"  # no new URL for now
    mock_slack.close_sockets()

    def unready() -> str:
        status, why = socket_bot.get("/readyz")
        return why if status == 503 else ""

    why = eventually(unready, "/readyz 503")
    assert why.startswith("Slack Socket Mode unreachable (")
    assert socket_bot.get("/healthz") == (200, "ok")  # alive: the orchestrator waits

    del mock_slack.api_errors["apps.connections.open"]
    eventually(lambda: socket_bot.get("/readyz") == (200, "ready"), "/readyz 200 again", timeout=90)
    assert len(mock_slack.calls("apps.connections.open")) > opened  # it reconnected
