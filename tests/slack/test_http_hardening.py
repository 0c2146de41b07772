"""The HTTP runner against hostile or odd requests, through the real bolt app over HTTP:
the word `payload` is just a word, bad input gets the right status without a traceback,
and unauthenticated clients cannot hold memory or threads."""

from __future__ import annotations

import logging
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from urllib.parse import urlencode, urlsplit

import pytest
from slack_bolt import App

import bot.slack.runner as runner
from bench.polling import PATIENCE, eventually
from bot.service import Services
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.runner import HttpServer, run_http
from doubles.mock_slack import MockSlack
from doubles.signing import post_form, signed_headers, slash_command_form
from tests.fixtures.slack import SIGNING_SECRET, Slash


def raw_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=PATIENCE) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


@pytest.mark.parametrize("text", ["gear payload", "configs gear=payload", "gears payload=x"])
def test_the_word_payload_is_answered_like_any_other(slash: Slash, text: str) -> None:
    call = slash(text)

    assert call.http.status == 200
    answer = call.answer()
    assert "payload" in answer["text"]  # the command was understood, and answered


def test_a_channel_named_payload_tests_is_answered(
    slack_http: HttpServer, mock_slack: MockSlack
) -> None:
    form = slash_command_form("gears", response_url=mock_slack.response_url("t1"))
    form["channel_name"] = "payload-tests"

    result = post_form(slack_http.url, form, SIGNING_SECRET)

    assert result.status == 200
    assert eventually(lambda: mock_slack.responses("t1"), "the answer to t1")


def test_a_non_numeric_timestamp_is_401(slack_http: HttpServer) -> None:
    body = urlencode(slash_command_form("gears", response_url="http://127.0.0.1:9/x"))
    headers = signed_headers(body, SIGNING_SECRET)
    headers["X-Slack-Request-Timestamp"] = "soon"

    status, text = raw_post(slack_http.url, body.encode(), headers)

    assert status == 401 and "Traceback" not in text


def test_invalid_utf8_is_400_without_a_traceback(slack_http: HttpServer) -> None:
    body = b"text=\xff\xfe&command=%2Ffw"
    headers = signed_headers(body.decode("latin-1"), SIGNING_SECRET)

    status, text = raw_post(slack_http.url, body, headers)

    assert status == 400 and "UTF-8" in text and "Traceback" not in text


def test_a_huge_body_is_refused_from_its_length_before_it_is_read(slack_http: HttpServer) -> None:
    """10 MB announced: answered 413 after the headers alone (the body is never sent)."""
    host, port = urlsplit(slack_http.url).hostname, urlsplit(slack_http.url).port
    with socket.create_connection((host, port), timeout=PATIENCE) as conn:
        conn.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 10000000\r\n\r\n"
        )
        answer = conn.recv(4096).decode()

    assert answer.startswith("HTTP/1.0 413") or answer.startswith("HTTP/1.1 413")


def test_a_bad_signature_logs_nothing_at_info(
    slack_settings: Settings, slack_services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """`fwbot serve` with FWBOT_LOG_LEVEL=INFO: bolt's logger is made at that level and
    would log each refused body; anyone could fill the log."""
    with caplog.at_level(logging.INFO):
        server = run_http(create_app(slack_settings, slack_services), 0, "127.0.0.1")
        server.start_in_thread()
        try:
            form = slash_command_form("gears secret-text", response_url="http://127.0.0.1:9/x")
            result = post_form(server.url, form, "not-the-secret")
        finally:
            server.shutdown()

    assert result.status == 401
    assert not [r for r in caplog.records if "secret-text" in r.getMessage()]


ServeSmall = Callable[[float], HttpServer]


@pytest.fixture
def small_server(slack_app: App, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServeSmall]:
    """``small_server(idle_timeout)``: the runner with 3 connection slots, dropping a client
    silent for ``idle_timeout`` seconds, to see each limit on its own."""
    servers: list[HttpServer] = []

    def serve(idle_timeout: float) -> HttpServer:
        monkeypatch.setattr(runner, "MAX_CONNECTIONS", 3)
        monkeypatch.setattr(runner._QuietHandler, "timeout", idle_timeout)
        servers.append(run_http(slack_app, port=0, host="127.0.0.1").start_in_thread())
        return servers[-1]

    yield serve
    for server in servers:
        server.shutdown()


def connect(server: HttpServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE)


def healthz(server: HttpServer) -> int:
    with urllib.request.urlopen(server.base_url + "/healthz", timeout=PATIENCE) as resp:
        return int(resp.status)


def reply(conn: socket.socket) -> bytes:
    """What the server says to a ``GET /healthz`` on ``conn``: b"" if it closed it unread."""
    try:
        conn.sendall(b"GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n")
        return conn.recv(64)
    except TimeoutError:
        raise
    except OSError:  # reset or broken pipe: closed before the request was read
        return b""


def test_a_client_over_the_limit_is_closed_at_once_and_a_slot_frees_when_a_client_leaves(
    small_server: ServeSmall,
) -> None:
    server = small_server(PATIENCE)  # no client is dropped for silence during the test
    idle = [connect(server) for _ in range(3)]
    extra = connect(server)  # accepted after the three (one accepting thread, in order)

    assert reply(extra) == b""  # no slot left: closed at once, unanswered, no thread given
    idle[0].close()
    assert eventually(lambda: healthz(server) == 200, "a freed slot", ignoring=(OSError,))
    for conn in [*idle, extra]:
        conn.close()


def test_idle_clients_are_dropped_and_their_slots_freed(small_server: ServeSmall) -> None:
    server = small_server(0.5)
    idle = [connect(server) for _ in range(3)]

    assert all(conn.recv(1) == b"" for conn in idle)  # each closed by the server (waits)
    assert eventually(lambda: healthz(server) == 200, "a freed slot", ignoring=(OSError,))
    for conn in idle:
        conn.close()
