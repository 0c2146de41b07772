"""The Slack adapter's metrics, in process: commands by name and outcome, the ack
histogram in both modes, Web API errors and 429s (bolt's own calls included), and the
`/healthz`, `/readyz` and `/metrics` routes both servers share.

Counters are process-wide, so each test reads them before and after (``delta``).
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from slack_sdk.errors import SlackApiError

from bench.polling import PATIENCE, eventually
from bot.errors import (
    FlywheelBusy,
    FlywheelRefused,
    FlywheelUnavailable,
    IdentityError,
    NotFound,
    PermissionDenied,
    UsageError,
)
from bot.observe import metrics
from bot.settings import Settings
from bot.slack.app import create_web_client
from bot.slack.metering import (
    SlackApiMeter,
    click_label,
    command_label,
    error_outcome,
    method_of,
    reply_outcome,
    slack_meter,
)
from bot.slack.runner import HttpServer, run_health
from commands.render.errors import error_reply
from commands.reply import Reply
from doubles.mock_slack import MockSlack
from doubles.scrape import Samples, scrape
from doubles.signing import slash_command_form
from tests.fakes import FakeFlywheelGateway
from tests.fixtures.slack import Slash


def delta(before: Samples, name: str, **labels: str) -> float:
    return metrics.sample(name, labels) - before.get(name, **labels)


def moves(before: Samples, name: str, by: float, **labels: str) -> bool:
    """Wait until the sample has moved ``by`` since ``before`` (a reply is counted just
    after it is posted, so a test sees the answer first); then it must not have moved more."""
    eventually(lambda: delta(before, name, **labels) >= by, f"{name} {labels} to move by {by}")
    return delta(before, name, **labels) == by


def now() -> Samples:
    return Samples.parse(metrics.render().decode())


# -- labels and outcomes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("gears qsiprep", "gears"),
        ("GEAR qsiprep-hpc", "gear"),
        ("  launch qsiprep-hpc project=x", "launch"),
        ("", "help"),
        ("?", "help"),
        ("gearz", "other"),
        ("project=gear_testing", "other"),
        ("<script>", "other"),
    ],
)
def test_commands_are_labelled_by_their_subcommand_or_other(text: str, label: str) -> None:
    assert command_label(text) == label


def test_clicks_are_labelled_by_fwbots_action_ids_only() -> None:
    assert click_label("fw_confirm") == "fw_confirm"
    assert click_label("fw_made_up_by_someone") == "other"


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (UsageError("no"), "user_error"),
        (NotFound("gear", "x"), "user_error"),
        (FlywheelRefused(400, "bad config"), "user_error"),
        (PermissionDenied("no"), "denied"),
        (IdentityError("who?"), "denied"),
        (FlywheelUnavailable("down"), "unavailable"),
        (FlywheelBusy("429"), "unavailable"),
        (RuntimeError("bug"), "error"),
    ],
)
def test_outcomes_of_errors_and_of_the_replies_that_report_them(
    error: Exception, outcome: str
) -> None:
    assert error_outcome(error) == outcome
    if outcome != "error":
        assert reply_outcome(error_reply(error, None)) == outcome  # type: ignore[arg-type]
    assert reply_outcome(Reply(text="fine")) == "ok"
    assert reply_outcome(Reply(text="refused", error=True)) == "user_error"


# -- commands through the real app over HTTP --------------------------------------------


def test_commands_are_counted_by_name_and_outcome_and_every_ack_is_timed(
    slash: Slash, slack_gateway: FakeFlywheelGateway
) -> None:
    before = now()

    slash("gears").answer()
    slash("nonsense words").answer()
    slack_gateway.explode = True
    slash("gear qsiprep-hpc").answer()  # a bug deep down: the "ref" answer

    assert moves(before, "fwbot_commands_total", 1, command="gears", outcome="ok")
    assert moves(before, "fwbot_commands_total", 1, command="other", outcome="user_error")
    assert moves(before, "fwbot_commands_total", 1, command="gear", outcome="error")
    assert delta(before, "fwbot_ack_seconds_count") == 3  # timed before each ack is sent


def test_a_command_from_someone_without_a_flywheel_account_is_denied(
    slash: Slash, mock_slack: MockSlack
) -> None:
    mock_slack.add_user("U0NOMAIL", None)
    before = now()

    slash("gears", user_id="U0NOMAIL").answer()

    assert moves(before, "fwbot_commands_total", 1, command="gears", outcome="denied")


class TestBusy:
    @pytest.fixture
    def slack_settings(self, slack_settings: Settings) -> Settings:
        return slack_settings.model_copy(update={"answer_threads": 1, "answer_backlog": 0})

    def test_a_command_turned_away_by_a_full_pool_is_busy(
        self, slash: Slash, slack_gateway: FakeFlywheelGateway
    ) -> None:
        shut = threading.Event()
        slack_gateway.gate = shut
        held = slash("gears")
        eventually(lambda: "list_gears" in slack_gateway.calls, "the pool's one thread taken")
        before = now()

        slash("gear qsiprep-hpc").answer()
        shut.set()
        held.answer()

        assert moves(before, "fwbot_commands_total", 1, command="gear", outcome="busy")
        assert moves(before, "fwbot_commands_total", 1, command="gears", outcome="ok")


# -- Slack Web API errors and 429s ------------------------------------------------------


def test_web_api_errors_and_429s_are_counted_by_method(
    slack_settings: Settings, mock_slack: MockSlack
) -> None:
    client = create_web_client(slack_settings)
    meter = slack_meter(client)
    assert isinstance(meter, SlackApiMeter) and meter.last_ok is None
    before = now()

    mock_slack.rate_limit("chat.postMessage", calls=1)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0LAB", text="hi")
    with pytest.raises(SlackApiError):
        client.users_info(user="U0NOBODY")
    assert not meter.ok_within(60)
    client.auth_test()

    assert delta(before, "fwbot_slack_rate_limited_total", method="chat.postMessage") == 1
    errors = "fwbot_slack_api_errors_total"
    assert delta(before, errors, method="users.info", error="user_not_found") == 1
    assert delta(before, errors, method="auth.test", error="user_not_found") == 0
    assert meter.ok_within(60)


def test_bolts_own_clients_are_counted_too(slash: Slash, mock_slack: MockSlack) -> None:
    """bolt makes a client per request (copying the bot client's retry handlers): the
    identity lookup's users.info goes through it."""
    mock_slack.add_user("U0GHOST", None)
    mock_slack.api_errors["users.info"] = "user_not_found"
    before = now()

    slash("gears", user_id="U0GHOST").answer()

    errors = "fwbot_slack_api_errors_total"
    assert delta(before, errors, method="users.info", error="user_not_found") >= 1


@pytest.mark.parametrize(
    ("url", "method"),
    [
        ("https://slack.com/api/chat.postMessage", "chat.postMessage"),
        ("http://127.0.0.1:1234/api/files.getUploadURLExternal?x=1", "files.getUploadURLExternal"),
        ("http://127.0.0.1:1234/upload/F0000001", "other"),
    ],
)
def test_the_method_label_is_the_web_api_method(url: str, method: str) -> None:
    assert method_of(url) == method


# -- the health routes ------------------------------------------------------------------


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=PATIENCE) as answer:
            return int(answer.status), answer.headers["Content-Type"], answer.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers["Content-Type"], err.read().decode()


@pytest.fixture
def health() -> Iterator[tuple[HttpServer, list[str | None]]]:
    """Socket Mode's health server on a free port; its readiness says what the list holds."""
    state: list[str | None] = ["starting: connecting to Flywheel"]
    server = run_health(0, "127.0.0.1", readiness=lambda: state[0]).start_in_thread()
    yield server, state
    server.shutdown()


def test_the_health_server_serves_probes_and_metrics_and_nothing_else(
    health: tuple[HttpServer, list[str | None]],
) -> None:
    server, state = health
    base = server.base_url

    assert get(base + "/healthz")[::2] == (200, "ok")
    assert get(base + "/readyz")[::2] == (503, "starting: connecting to Flywheel")
    state[0] = None
    assert get(base + "/readyz")[::2] == (200, "ready")
    status, content_type, body = get(base + "/metrics")
    assert status == 200 and content_type == metrics.CONTENT_TYPE
    assert "# TYPE fwbot_commands_total counter" in body
    assert "fwbot_ack_seconds_bucket" in body
    assert get(base + "/slack/events")[0] == 404
    request = urllib.request.Request(base + "/healthz", data=b"", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=PATIENCE)
    assert refused.value.code == 404


def test_the_http_mode_server_serves_metrics_beside_slack_events(slack_http: HttpServer) -> None:
    samples = scrape(slack_http.base_url + "/metrics")
    assert samples.get("fwbot_jobs_launched_total", mode="per-session") >= 0
    assert "fwbot_flywheel_requests_total" in metrics.render().decode()


# -- Socket Mode: the ack timed from envelope to WebSocket ack --------------------------


def test_a_socket_mode_command_is_counted_and_its_ack_timed(
    socket_connected: None, mock_slack: MockSlack
) -> None:
    before = now()
    form = slash_command_form("gears", response_url=mock_slack.response_url("sock-m"))

    mock_slack.send_envelope({"envelope_id": "env-m", "type": "slash_commands", "payload": form})

    assert eventually(lambda: mock_slack.socket_acks("env-m"), "the ack of env-m")
    answer = eventually(lambda: mock_slack.responses("sock-m"), "the answer to sock-m")[0].body
    assert "qsiprep-hpc" in answer["text"] + json.dumps(answer.get("blocks"))
    assert moves(before, "fwbot_commands_total", 1, command="gears", outcome="ok")
    assert moves(before, "fwbot_ack_seconds_count", 1)  # timed once the ack is sent
