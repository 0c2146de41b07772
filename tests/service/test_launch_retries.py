"""Launch retries until a deadline, against the local Flywheel and a real SQLite store:
transient errors (429, 5xx, dropped connections, lost answers) are retried with backoff
and a tag check per round, so every session ends with exactly one analysis; only
Flywheel's refusal or the deadline fails a session. Backoff is shrunk so rounds take ms."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.polling import PATIENCE, eventually
from bot.bootstrap import build_services
from bot.domain import BatchState, TargetState
from bot.flywheel.sdk_gateway import SdkGateway
from bot.service import Services
from bot.service.launch.timing import LaunchTiming
from bot.service.policy import Policy
from bot.store.db import Store
from localfw.knobs import Knobs
from localfw.server import LocalFlywheel
from tests.service.test_launch_service import (
    CONFIG,
    DWI_SESSIONS,
    EDITOR_ACTOR,
    QSI,
    launch,
    tagged,
)

CREATE = r"^POST /sessions/\{cid\}/analyses$"  # analysis creations, nothing else
TAG_CHECK = r"^GET /users/self/jobs$"


@pytest.fixture
def configs_dir(tmp_path: Path) -> Path:
    (tmp_path / "qsi.yml").write_text(CONFIG)
    return tmp_path


@pytest.fixture
def make(
    localfw: LocalFlywheel, sqlite_store: Store, configs_dir: Path
) -> Iterator[Callable[..., Services]]:
    made: list[Services] = []

    def _make(deadline: float = 30.0) -> Services:
        services = build_services(
            SdkGateway.connect(localfw.sdk_api_key),
            sqlite_store,
            Policy(max_batch_without_approval=1000),
            configs_dir,
            # a quick backoff: rounds follow each other fast, the deadline still rules
            launch_timing=LaunchTiming(deadline=deadline, first_backoff=0.02, max_backoff=0.2),
        )
        made.append(services)
        return services

    yield _make
    for services in made:
        services.workers.shutdown()


def outage(knobs: Knobs, refusals: int, routes: str) -> list[int]:
    """From the first analysis creation on, the first ``refusals`` requests matching
    ``routes`` (a regex on "METHOD /route/{template}") answer 503; then Flywheel is back.
    Counted in requests, not seconds, so it spans the same rounds however slow the
    machine. Returns the list of 503s served (its length)."""
    pick = knobs.pick_error
    matches = re.compile(routes)
    started: list[bool] = []
    served: list[int] = []
    lock = threading.Lock()

    def pick_error(method: str, path: str, route: str) -> str | None:
        with lock:
            if not started and f"{method} {route}" == "POST /sessions/{cid}/analyses":
                started.append(True)
            down = bool(started and len(served) < refusals and matches.search(f"{method} {route}"))
            if down:
                served.append(503)
        return "503" if down else pick(method, path, route)

    knobs.pick_error = pick_error  # type: ignore[method-assign]
    return served


def per_session(localfw: LocalFlywheel, batch_id: str) -> Counter[str]:
    return Counter(str(j["parents"]["session"]) for j in tagged(localfw, batch_id))  # type: ignore[index]


def test_an_outage_is_waited_out_and_every_session_gets_one_analysis(
    localfw: LocalFlywheel, sqlite_store: Store, make: Callable[..., Services]
) -> None:
    """Issue 10: 503s on every creation and tag check for a while, then Flywheel is back.
    Nothing fails; each session ends with exactly one analysis."""
    services = make()
    served = outage(localfw.knobs, 2 * DWI_SESSIONS, f"{CREATE}|{TAG_CHECK}")  # two rounds

    batch_id = launch(services)

    counts = sqlite_store.batches.target_counts(batch_id)
    assert counts[TargetState.LAUNCHED] == DWI_SESSIONS and counts[TargetState.FAILED] == 0
    assert sqlite_store.batches.get_existing(batch_id).state is BatchState.LAUNCHED
    jobs = per_session(localfw, batch_id)
    assert len(jobs) == DWI_SESSIONS and set(jobs.values()) == {1}
    assert len(served) > DWI_SESSIONS  # the outage outlasted the first round
    assert localfw.requests.count("GET", "/users/self/jobs") > 2  # a tag check per round


def test_random_faults_and_lost_answers_leave_no_duplicate_and_no_gap(
    localfw: LocalFlywheel, sqlite_store: Store, make: Callable[..., Services]
) -> None:
    services = make()
    localfw.knobs.set_errors(
        0.1, ["500", "502", "503", "429", "drop", "drop-after"], route=CREATE, retry_after=0
    )

    batch_id = launch(services)

    counts = sqlite_store.batches.target_counts(batch_id)
    assert counts[TargetState.LAUNCHED] == DWI_SESSIONS and counts[TargetState.FAILED] == 0
    jobs = per_session(localfw, batch_id)
    assert len(jobs) == DWI_SESSIONS  # 0 missing
    assert set(jobs.values()) == {1}  # 0 duplicates
    assert localfw.requests.count("POST", "/sessions/{cid}/analyses") > DWI_SESSIONS


def test_flywheel_refusing_a_session_fails_it_with_flywheels_reason(
    localfw: LocalFlywheel, sqlite_store: Store, make: Callable[..., Services]
) -> None:
    """Sessions removed after planning answer 404: failed at once, with Flywheel's words;
    the others launch despite transient faults around them."""
    services = make()
    ticket = services.launches.request(EDITOR_ACTOR, QSI)
    gone = sqlite_store.batches.targets(ticket.batch.id)[:3]
    with localfw.world.lock:
        for target in gone:
            del localfw.world.sessions[target.session_id]
    localfw.knobs.set_errors(0.1, ["503", "drop-after"], route=CREATE)

    services.launches.confirm(EDITOR_ACTOR, ticket.batch.id)
    services.workers.wait_idle(PATIENCE)

    failed = sqlite_store.batches.targets(ticket.batch.id, [TargetState.FAILED])
    assert {t.session_id: t.error for t in failed} == {
        t.session_id: f"Container {t.session_id} not found" for t in gone
    }
    jobs = per_session(localfw, ticket.batch.id)
    assert len(jobs) == DWI_SESSIONS - 3 and set(jobs.values()) == {1}
    assert sqlite_store.batches.get_existing(ticket.batch.id).state is BatchState.LAUNCHED


class SimulatedTime:
    """The launcher's clock and sleep: every pause moves the clock on at once, so a
    30-minute deadline of backoffs passes in the time the requests take."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept = 0.0
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> bool:
        with self._lock:
            self.now += seconds
            self.slept += seconds
        return False  # never woken by a stop


def test_past_the_deadline_the_sessions_still_failing_fail_with_the_deadline_reason(
    localfw: LocalFlywheel, sqlite_store: Store, configs_dir: Path
) -> None:
    """The deadline (30 min, the default) is kept on the launcher's own clock: backoffs
    and Retry-After pauses wait on it, not on the wall clock."""
    simulated = SimulatedTime()
    services = build_services(
        SdkGateway.connect(localfw.sdk_api_key),
        sqlite_store,
        Policy(max_batch_without_approval=1000),
        configs_dir,
        launch_clock=simulated.clock,
        launch_sleep=simulated.sleep,
    )
    localfw.knobs.set_errors(1.0, ["503"], route=CREATE)
    try:
        ticket = services.launches.request(EDITOR_ACTOR, QSI)
        batch_id = ticket.batch.id
        services.launches.confirm(EDITOR_ACTOR, batch_id)
        services.workers.wait_idle(2 * PATIENCE)  # some thirty rounds of requests
    finally:
        services.workers.shutdown()

    failed = sqlite_store.batches.targets(batch_id, [TargetState.FAILED])
    assert len(failed) == DWI_SESSIONS
    [reason] = {t.error for t in failed}
    site = ":".join(localfw.sdk_api_key.split(":")[:2])
    assert reason == (
        f"Flywheel kept failing for 30 min: Flywheel at {site} answered 503 injected 503."
    )
    assert simulated.slept >= 1800 - 60  # it waited out the deadline, in backoffs of < 60 s
    assert tagged(localfw, batch_id) == []
    assert localfw.requests.count("POST", "/sessions/{cid}/analyses") > 2 * DWI_SESSIONS
    assert sqlite_store.batches.get_existing(batch_id).state is BatchState.FAILED


def test_stopping_during_the_backoff_leaves_the_rest_planned_for_the_next_run(
    localfw: LocalFlywheel, sqlite_store: Store, make: Callable[..., Services]
) -> None:
    services = make()
    localfw.knobs.set_errors(1.0, ["503"], route=CREATE)
    ticket = services.launches.request(EDITOR_ACTOR, QSI)
    services.launches.confirm(EDITOR_ACTOR, ticket.batch.id)
    eventually(
        lambda: localfw.requests.count("POST", "/sessions/{cid}/analyses") >= DWI_SESSIONS,
        "a creation asked for every session",
    )

    services.workers.shutdown()  # the bot stops while Flywheel is down

    assert sqlite_store.batches.get_existing(ticket.batch.id).state is BatchState.LAUNCHING
    counts = sqlite_store.batches.target_counts(ticket.batch.id)
    assert counts[TargetState.PLANNED] == DWI_SESSIONS and not counts.get(TargetState.FAILED)

    localfw.knobs.clear()
    restarted = make()
    assert restarted.background.resume_unfinished() == [ticket.batch.id]
    restarted.workers.wait_idle(PATIENCE)
    jobs = per_session(localfw, ticket.batch.id)
    assert len(jobs) == DWI_SESSIONS and set(jobs.values()) == {1}
