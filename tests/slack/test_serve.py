"""`fwbot serve`: missing settings exit 2 naming each env var; a good start wires the batch
messages, resumes launches and runs the watcher until stopped."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bench.polling import eventually
from bot.cli import main


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("FWBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_socket_mode_without_tokens_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve"]) == 2

    err = capsys.readouterr().err
    assert "missing FWBOT_SLACK_BOT_TOKEN, FWBOT_SLACK_APP_TOKEN" in err
    assert "Traceback" not in err


def test_http_mode_without_secret_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FWBOT_SLACK_BOT_TOKEN", "xoxb-1")

    assert main(["serve", "--http", "3000"]) == 2

    assert "missing FWBOT_SLACK_SIGNING_SECRET" in capsys.readouterr().err


def test_serve_without_a_flywheel_key_exits_2_instead_of_serving_the_demo(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A production bot never falls back to the embedded demo world: no key, no start."""
    monkeypatch.setenv("FWBOT_SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("FWBOT_SLACK_SIGNING_SECRET", "s3cret")

    assert main(["serve", "--http", "0"]) == 2

    err = capsys.readouterr().err
    assert "FWBOT_FLYWHEEL_API_KEY is not set" in err and "--demo" in err
    assert "Traceback" not in err


def test_serve_wires_the_notifier_resumes_launches_and_stops_the_watcher(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """HTTP mode against the embedded local Flywheel; the server 'runs' until a Ctrl-C."""
    import bot.bootstrap
    import bot.scheduler
    import bot.slack.serve as serve_module
    from bot.service.launch.background import BackgroundLaunches
    from bot.settings import Settings
    from bot.slack.notifier import SlackNotifier
    from bot.slack.subscription_notifier import SlackSubscriptionNotifier
    from doubles.mock_slack import MockSlack

    seen: dict[str, Any] = {}
    start_scheduler = bot.scheduler.start_scheduler
    build_runtime = bot.bootstrap.build_runtime

    def recording_runtime(settings: Settings, **kwargs: Any) -> Any:
        seen["notifier"] = kwargs.get("notifier")
        seen["subscription_notifier"] = kwargs.get("subscription_notifier")
        return build_runtime(settings, **kwargs)

    def recording_scheduler(watcher: Any, *, interval: float, **kwargs: Any) -> Any:
        seen["scheduler"] = start_scheduler(watcher, interval=interval, **kwargs)
        seen["interval"] = interval
        seen["notifications"] = kwargs.get("notifications")
        return seen["scheduler"]

    def resume(self: BackgroundLaunches) -> list[str]:
        seen["resumed"] = True
        return []

    class InterruptedServer:
        def serve_forever(self) -> None:
            # the start-up work runs in the background: ready once Flywheel answered
            eventually(lambda: seen["readiness"]() is None, "/readyz to say ready")
            assert seen["scheduler"].running  # the watcher runs while the bot serves
            raise KeyboardInterrupt

        def shutdown(self) -> None:
            seen["server_shut"] = True

    def fake_run_http(app: Any, port: int, host: str, *, readiness: Any) -> InterruptedServer:
        seen["client"] = app.client
        seen["readiness"] = readiness
        return InterruptedServer()

    monkeypatch.setattr(bot.bootstrap, "build_runtime", recording_runtime)
    monkeypatch.setattr(bot.scheduler, "start_scheduler", recording_scheduler)
    monkeypatch.setattr(BackgroundLaunches, "resume_unfinished", resume)
    monkeypatch.setattr(serve_module, "run_http", fake_run_http)
    mock = MockSlack().start()
    try:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            slack_bot_token="xoxb-serve",  # type: ignore[arg-type]
            slack_signing_secret="s3cret",  # type: ignore[arg-type]
            slack_api_url=mock.api_url,
            data_dir=tmp_path,
            watch_interval=7,
        )

        assert serve_module.serve(settings, http_port=0, host="127.0.0.1", demo=True) == 0
    finally:
        mock.stop()

    assert seen["client"].base_url == mock.api_url and seen["client"].token == "xoxb-serve"
    assert isinstance(seen["notifier"], SlackNotifier)
    # subscribed channels hear of batches and get their digests in Slack, not nowhere
    assert isinstance(seen["subscription_notifier"], SlackSubscriptionNotifier)
    assert seen["notifications"] is not None
    assert seen["resumed"] and seen["interval"] == 7
    assert not seen["scheduler"].running and seen["server_shut"]


def test_sigterm_takes_the_ctrl_c_path() -> None:
    """docker stop and Kubernetes send SIGTERM: serve stops as on Ctrl-C (launches give
    their leases back), instead of dying with its leases held."""
    import os
    import signal

    from bot.slack.serve import stop_on_sigterm

    previous = stop_on_sigterm()
    try:
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)
