"""HTTP mode: bolt's signature check in front of every listener; a health check for probes."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable

import pytest

from bench.polling import PATIENCE
from bot.slack.runner import HttpServer
from doubles.mock_slack import MockSlack
from tests.fixtures.slack import Slash

# Built when the test runs: a timestamp taken at import drifts into Slack's 5-minute
# window once the suite has run for a minute.
BAD_REQUESTS: dict[str, Callable[[], dict[str, object]]] = {
    "wrong secret": lambda: {"secret": "not-the-signing-secret"},
    "stale timestamp": lambda: {"timestamp": int(time.time()) - 6 * 60},
    "future timestamp": lambda: {"timestamp": int(time.time()) + 6 * 60},
    "body changed after signing": lambda: {"tamper": True},
}


@pytest.mark.parametrize("bad", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_bad_or_stale_signature_gets_401_and_does_nothing(
    slash: Slash, mock_slack: MockSlack, bad: Callable[[], dict[str, object]]
) -> None:
    rejected = slash("gears", **bad())  # type: ignore[arg-type]

    assert rejected.http.status == 401
    # A good request afterwards is answered; by then the rejected one would have been too.
    slash("gears").answer()
    assert rejected.answers() == []
    assert [c.args["user"] for c in mock_slack.calls("users.info")] == ["U0ALICE"]
    assert len(mock_slack.calls()) == 1  # users.info, for the good request


def test_unsigned_request_gets_401(slack_http: HttpServer, mock_slack: MockSlack) -> None:
    body = b"command=%2Ffw&text=gears"
    request = urllib.request.Request(slack_http.url, data=body, method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=PATIENCE)
    assert err.value.code == 401
    assert mock_slack.calls() == []


def test_health_check_and_unknown_paths(slack_http: HttpServer) -> None:
    base = f"http://{slack_http.host}:{slack_http.port}"
    with urllib.request.urlopen(f"{base}/healthz", timeout=PATIENCE) as resp:
        assert resp.status == 200
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{base}/nope", timeout=PATIENCE)
    assert err.value.code == 404
