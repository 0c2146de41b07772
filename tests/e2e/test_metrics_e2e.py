"""`/metrics` and `/readyz` of a real `fwbot serve --http` process: the counters move when
commands are answered, a batch launches, Slack rate-limits or refuses a call and Flywheel
goes away; readiness turns 503 while Flywheel (or Slack) is down and 200 when it is back,
and not on a single failed call.

A real process (``doubles.fwbot_process``) against the local Flywheel and the mock Slack,
scraped as Prometheus scrapes it (``doubles.scrape``). Behaviour only: every wait polls,
nothing is timed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.polling import eventually
from doubles.fwbot_process import FwbotProcess, answer_text, button_batches, fwbot_env
from doubles.mock_slack import MockSlack
from doubles.scrape import Samples, scrape
from localfw.demo_world import DEMO_BOT, DEMO_SECOND_PROJECT, GRMPY_DWI_SESSIONS, build_demo_world
from localfw.server import LocalFlywheel
from localfw.simulator import SimClock
from localfw.world import World

ADMIN = "U0ADMIN"  # admin on grmpy_dwi (tests/e2e/conftest.py)
VIEWER = "U0VIEWER"  # read-only on gear_testing
API_KEY = "metrics-test-key"
OBJECT_ID = re.compile(r"[0-9a-f]{24}")


def flywheel(world: World, port: int = 0) -> LocalFlywheel:
    return LocalFlywheel(world, api_key=API_KEY, user=DEMO_BOT, clock=SimClock()).start(port=port)


@pytest.fixture
def world() -> World:
    return build_demo_world()


@pytest.fixture
def lf(world: World) -> Iterator[LocalFlywheel]:
    server = flywheel(world)
    yield server
    server.stop()


@pytest.fixture
def bot(lf: LocalFlywheel, mock_slack: MockSlack, tmp_path: Path) -> Iterator[FwbotProcess]:
    env = fwbot_env(
        mock_slack,
        flywheel_api_key=lf.sdk_api_key,
        data_dir=tmp_path / "data",
        readiness_interval="0.2",  # probes every 0.2 s: an outage shows within a second
        watch_interval="1",
    )
    process = FwbotProcess(env, tmp_path / "bot", mock_slack, flywheel=lf).start()
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def unready(bot: FwbotProcess) -> str:
    """Poll ``/readyz`` until it answers 503; its reason."""

    def reason() -> str:
        status, body = bot.get("/readyz")
        return body if status == 503 else ""

    return eventually(reason, what="/readyz 503")


def metrics(bot: FwbotProcess) -> Samples:
    return scrape(bot.base_url + "/metrics")


def moved(bot: FwbotProcess, before: Samples, name: str, by: float = 1, **labels: str) -> bool:
    return metrics(bot).get(name, **labels) - before.get(name, **labels) >= by


def test_commands_acks_and_flywheel_requests_are_counted(bot: FwbotProcess) -> None:
    before = metrics(bot)

    assert "qsiprep-hpc" in answer_text(bot.ask("gears", ADMIN))
    assert answer_text(bot.ask("gearz", ADMIN))  # not a command: a usage error
    refused = answer_text(bot.ask(f"launch qsiprep-hpc project={DEMO_SECOND_PROJECT}", VIEWER))
    assert refused

    commands = "fwbot_commands_total"
    assert eventually(lambda: moved(bot, before, commands, command="gears", outcome="ok"), "gears")
    assert eventually(
        lambda: moved(bot, before, commands, command="other", outcome="user_error"), "gearz"
    )
    assert eventually(
        lambda: moved(bot, before, commands, command="launch", outcome="denied"), "the refusal"
    )
    after = metrics(bot)
    assert after.get("fwbot_ack_seconds_count") - before.get("fwbot_ack_seconds_count") >= 3
    assert after.get("fwbot_ack_seconds_bucket", le="+Inf") == after.get("fwbot_ack_seconds_count")

    requests = "fwbot_flywheel_requests_total"
    gears = after.get(requests, route="GET /api/gears", status="200")
    assert gears > before.get(requests, route="GET /api/gears", status="200")
    assert after.get(requests, route="GET /api/auth/status", status="200") >= 1  # login check
    routes = set(after.labels(requests, "route"))
    assert routes and not [r for r in routes if OBJECT_ID.search(r)], routes  # ids templated
    assert all(re.fullmatch(r"(GET|POST|PUT|DELETE) /api(/[a-z_.{}-]+)*", r) for r in routes)


def test_a_launch_moves_jobs_batches_and_slack_rate_limits(
    bot: FwbotProcess, mock_slack: MockSlack
) -> None:
    before = metrics(bot)
    plan = bot.ask(f"launch qsiprep-hpc project={DEMO_SECOND_PROJECT}", ADMIN)
    batch_id = button_batches(plan).get("fw_confirm")
    assert batch_id, answer_text(plan)
    assert metrics(bot).get("fwbot_batches", state="planned") == 1

    mock_slack.rate_limit("chat.postMessage", calls=1, retry_after=0)  # the batch's message
    bot.ask(f"confirm {batch_id}", ADMIN)

    launched = "fwbot_jobs_launched_total"
    assert eventually(
        lambda: moved(bot, before, launched, GRMPY_DWI_SESSIONS, mode="per-session"),
        what="every session's analysis counted",
    )
    assert eventually(
        lambda: metrics(bot).get("fwbot_batches", state="launched") == 1, "the batch launched"
    )
    after = metrics(bot)
    assert after.get("fwbot_batches", state="planned") == 0
    assert after.get(launched, mode="per-session") - before.get(launched, mode="per-session") == (
        GRMPY_DWI_SESSIONS
    )
    assert after.get(launched, mode="batch-api") == before.get(launched, mode="batch-api")
    assert eventually(
        lambda: moved(bot, before, "fwbot_commands_total", command="confirm", outcome="ok"),
        "the confirm counted",
    )
    route = "POST /api/sessions/{id}/analyses"
    assert after.get("fwbot_flywheel_requests_total", route=route, status="200") >= (
        GRMPY_DWI_SESSIONS
    )
    assert eventually(
        lambda: metrics(bot).get("fwbot_slack_rate_limited_total", method="chat.postMessage") == 1,
        what="the 429 counted",
    )
    assert eventually(
        lambda: metrics(bot).get("fwbot_scheduler_lag_seconds_count", job="batch-watcher") >= 1,
        what="a watcher pass",
    )


def test_readyz_is_503_while_flywheel_is_down_and_200_when_it_is_back(
    bot: FwbotProcess, lf: LocalFlywheel
) -> None:
    assert bot.get("/readyz") == (200, "ready")
    lf.knobs.set_outage(kinds=("drop",))  # every connection dropped unanswered: Flywheel dead

    reason = unready(bot)
    assert reason.startswith("Flywheel unreachable (") and "Cannot reach Flywheel" in reason
    assert bot.get("/healthz") == (200, "ok")  # alive all the same
    failed = metrics(bot).get(
        "fwbot_flywheel_requests_total", route="GET /api/auth/status", status="error"
    )
    assert failed >= 2  # the probes' attempts, retries included, each counted

    lf.knobs.clear_outage()
    eventually(lambda: bot.get("/readyz") == (200, "ready"), what="/readyz 200 again")

    # Flywheel answering 503 (a gateway in front of a dead site) is as unready, by status
    lf.knobs.set_outage(r"^GET /auth/status$", kinds=("503",))
    assert unready(bot).startswith("Flywheel unreachable")
    assert (
        metrics(bot).get(
            "fwbot_flywheel_requests_total", route="GET /api/auth/status", status="503"
        )
        >= 2
    )
    lf.knobs.clear_outage()
    eventually(lambda: bot.get("/readyz") == (200, "ready"), what="/readyz 200 again")


def test_slack_errors_and_429s_are_counted_and_only_an_outage_is_unready(
    bot: FwbotProcess, mock_slack: MockSlack
) -> None:
    # one 429 on the readiness probe's auth.test (probes run while /readyz is asked):
    # counted, and ready throughout, for one failed probe is not an outage
    mock_slack.rate_limit("auth.test", calls=1, retry_after=0)
    limited_at = len(mock_slack.calls("auth.test"))

    def two_probes_later() -> bool:
        assert bot.get("/readyz") == (200, "ready")
        return len(mock_slack.calls("auth.test")) >= limited_at + 3  # the 429, then two more

    eventually(two_probes_later, what="probes after the 429")
    assert metrics(bot).get("fwbot_slack_rate_limited_total", method="auth.test") == 1

    # auth.test refused from now on: errors counted by code, unready after two in a row
    mock_slack.api_errors["auth.test"] = "invalid_auth"
    reason = unready(bot)
    assert reason.startswith("Slack unreachable") and "invalid_auth" in reason, reason
    errors = metrics(bot).get(
        "fwbot_slack_api_errors_total", method="auth.test", error="invalid_auth"
    )
    assert errors >= 2

    del mock_slack.api_errors["auth.test"]
    eventually(lambda: bot.get("/readyz") == (200, "ready"), what="/readyz 200 again")
