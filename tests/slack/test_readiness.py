"""`/readyz`'s rule (``bot.observe.health``): the start-up gate first, then each dependency
probed in the background at most once per interval and only while asked; unready after
two failed probes in a row or a probe hung past its timeout, ready again on one success.

A hand-turned clock decides when a probe is due; the probes themselves run in threads,
so each test waits for them with events, never with sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.polling import PATIENCE, eventually
from bot.observe.health import Dependency, Readiness
from bot.settings import Settings
from bot.slack.app import create_web_client
from bot.slack.serve import readiness
from doubles.mock_slack import MockSlack


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Probe:
    """A probe whose answers the test sets; ``calls`` counts the probes that ended."""

    def __init__(self) -> None:
        self.failing: str | None = None
        self.hold: threading.Event | None = None
        self.ended = threading.Semaphore(0)
        self.calls = 0

    def __call__(self) -> None:
        try:
            if self.hold is not None:
                self.hold.wait(PATIENCE)
            if self.failing:
                raise ConnectionError(self.failing)
        finally:
            self.calls += 1
            self.ended.release()

    def wait(self) -> None:
        assert self.ended.acquire(timeout=PATIENCE), "the probe never ran"


def settled(dep: Dependency, probe: Probe, clock: Clock, step: float = 15.0) -> str | None:
    """Ask (starting a probe), let it end, and ask again: the answer it left."""
    clock.now += step
    dep.reason()
    probe.wait()
    return wait_for_state(dep)


def wait_for_state(dep: Dependency) -> str | None:
    """The answer once the probe's outcome is recorded (it ends a moment after its call)."""
    eventually(lambda: not dep.probing, f"{dep.name}'s probe to be recorded")
    return dep.reason()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_one_failed_probe_is_not_an_outage_two_in_a_row_are_and_one_success_ends_it(
    clock: Clock,
) -> None:
    probe = Probe()
    dep = Dependency("Flywheel", probe, interval=15, failures=2, clock=clock)

    assert dep.reason() is None  # nothing known yet: the first probe starts
    probe.wait()
    assert wait_for_state(dep) is None

    probe.failing = "connection refused"
    assert settled(dep, probe, clock) is None  # one failure: still ready
    probe.failing = None
    assert settled(dep, probe, clock) is None
    probe.failing = "connection refused"
    assert settled(dep, probe, clock) is None
    assert (
        settled(dep, probe, clock) == "Flywheel unreachable (ConnectionError: connection refused)"
    )
    probe.failing = None
    assert settled(dep, probe, clock) is None


def test_probes_run_at_most_once_per_interval_and_only_when_asked(clock: Clock) -> None:
    probe = Probe()
    dep = Dependency("database", probe, interval=15, clock=clock)

    dep.reason()
    probe.wait()
    wait_for_state(dep)
    for _ in range(20):  # asked again and again within the interval: no new probe
        clock.now += 0.5
        dep.reason()
    assert not dep.probing and probe.calls == 1  # a probe is marked under way as it starts
    clock.now += 15
    dep.reason()
    probe.wait()
    assert probe.calls == 2


def test_a_probe_that_hangs_past_its_timeout_is_unready_without_blocking_the_answer(
    clock: Clock,
) -> None:
    probe = Probe()
    probe.hold = threading.Event()
    dep = Dependency("Slack", probe, interval=15, timeout=60, clock=clock)

    assert dep.reason() is None  # the probe hangs in its thread; the answer is at once
    clock.now += 30
    assert dep.reason() is None  # slow, not yet hung
    clock.now += 31
    assert dep.reason() == "Slack unreachable (no answer within 60 s)"
    probe.hold.set()
    probe.wait()
    assert wait_for_state(dep) is None


def test_the_start_up_gate_comes_first_and_dependencies_are_not_probed_until_it_opens(
    clock: Clock,
) -> None:
    probe = Probe()
    gate: list[str | None] = ["starting: connecting to Flywheel"]
    ready = Readiness(lambda: gate[0], [Dependency("Flywheel", probe, clock=clock)])

    assert ready() == "starting: connecting to Flywheel"
    assert not ready.dependencies[0].probing and probe.calls == 0
    gate[0] = None
    assert ready() is None
    probe.wait()


def test_every_failing_dependency_is_named(clock: Clock) -> None:
    deps = []
    probes = []
    for name in ("database", "Flywheel", "Slack"):
        probe = Probe()
        probe.failing = f"{name} down" if name != "Slack" else None
        probes.append(probe)
        deps.append(Dependency(name, probe, failures=1, clock=clock))
    ready = Readiness(lambda: None, deps)

    ready()
    for probe in probes:
        probe.wait()
    for dep in deps:
        wait_for_state(dep)
    assert ready() == (
        "database unreachable (ConnectionError: database down); "
        "Flywheel unreachable (ConnectionError: Flywheel down)"
    )


# -- composed for `fwbot serve` ---------------------------------------------------------


class Runtime:
    """What ``readiness`` reads of the runtime: the store's ping and the gateway's."""

    def __init__(self, database: Callable[[], None], flywheel: Callable[[], None]) -> None:
        self.store = type("Store", (), {"ping": staticmethod(database)})()
        self.gateway = type("Gateway", (), {"ping": staticmethod(flywheel)})()


def test_serve_probes_the_database_flywheel_and_slack(
    mock_slack: MockSlack, tmp_path: Path
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-ready",  # type: ignore[arg-type]
        slack_api_url=mock_slack.api_url,
        data_dir=tmp_path,
        readiness_interval=0.01,
    )
    client = create_web_client(settings)
    calls: list[str] = []

    def down() -> None:
        calls.append("flywheel")
        raise ConnectionError("refused")

    runtime: Any = Runtime(lambda: calls.append("database"), down)
    ready = readiness(settings, lambda: None, runtime, client)

    def settles() -> str | None:
        why = ready()
        return why if why and "Flywheel" in why else None

    why = eventually(settles, "/readyz to name Flywheel")
    assert why == "Flywheel unreachable (ConnectionError: refused)"
    assert "database" in calls
    assert mock_slack.calls("auth.test")  # Slack's probe
