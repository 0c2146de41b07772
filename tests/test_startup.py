"""The start-up work of `fwbot serve`: retried with a capped backoff, one WARNING line per
failed attempt, ready only once Flywheel answered, launches resumed and the watcher on;
and the gateway of a bot still connecting answers with the short FlywheelUnavailable."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest

from bench.polling import eventually
from bot.bootstrap import DeferredGateway
from bot.errors import FlywheelUnavailable
from bot.startup import Startup


class FlakyRuntime:
    """Flywheel answers on the ``up_after``-th login check."""

    def __init__(self, up_after: int) -> None:
        self.checks = 0
        self.up_after = up_after
        self.resumed = 0
        self.services = SimpleNamespace(background=SimpleNamespace(resume_unfinished=self.resume))

    def connect_flywheel(self) -> None:
        self.checks += 1
        if self.checks < self.up_after:
            raise FlywheelUnavailable("Cannot reach Flywheel at fw.example: ConnectError")

    def resume(self) -> list[str]:
        self.resumed += 1
        return ["b1"]


def test_retries_with_a_capped_backoff_then_resumes_and_starts_the_watcher(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runtime = FlakyRuntime(up_after=4)
    watchers: list[str] = []
    startup = Startup(
        runtime,  # type: ignore[arg-type]
        lambda: watchers.append("on"),
        first_delay=0.01,
        max_delay=0.02,
    )
    assert startup.not_ready() == "starting: connecting to Flywheel"

    with caplog.at_level(logging.INFO, logger="bot.startup"):
        startup.run()

    assert startup.not_ready() is None and startup.attempts == 4
    assert runtime.resumed == 1 and watchers == ["on"]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "fwbot: not ready, Flywheel unreachable (Cannot reach Flywheel at fw.example: "
        f"ConnectError); attempt {n}, retrying in {delay:g} s"
        for n, delay in ((1, 0.01), (2, 0.02), (3, 0.02))
    ]
    assert all(r.exc_info is None for r in warnings)  # one line, never a traceback


def test_stays_unready_with_the_reason_and_stops_on_request() -> None:
    runtime = FlakyRuntime(up_after=10**9)
    startup = Startup(runtime, lambda: None, first_delay=0.01, max_delay=0.01)  # type: ignore[arg-type]
    startup.start()
    try:
        eventually(lambda: startup.attempts >= 3, "a third attempt")  # two have failed
        assert not startup.wait_ready(0)
        assert startup.not_ready() == (
            "starting: Flywheel unreachable (Cannot reach Flywheel at fw.example: ConnectError)"
        )
    finally:
        startup.stop()
    assert startup.scheduler is None and runtime.resumed == 0


def test_a_gateway_still_connecting_fails_fast_with_the_short_error_then_delegates() -> None:
    answers: list[Any] = [FlywheelUnavailable("Cannot reach Flywheel at fw.example."), None]

    def connect(key: str) -> Any:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return SimpleNamespace(list_gears=lambda: ["qsiprep-hpc"])

    gateway = DeferredGateway("fw.example:secret", connect)
    with pytest.raises(FlywheelUnavailable, match=r"still connecting to Flywheel at fw\.example"):
        gateway.list_gears()
    with pytest.raises(FlywheelUnavailable):
        gateway.connect()
    with pytest.raises(FlywheelUnavailable) as refused:
        gateway.list_gears()
    assert refused.value.message == (
        "fwbot cannot reach Flywheel at fw.example yet (Cannot reach Flywheel at fw.example)."
    )
    assert "secret" not in refused.value.user_text()

    gateway.connect()
    assert gateway.connected and gateway.list_gears() == ["qsiprep-hpc"]
