"""Events on subscribed channels: fwbot's batch ending (through ``BatchEvents``) and
batches launched outside fwbot (scripts, the web UI), found from the project's analyses."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bench.polling import PATIENCE
from bot.domain import Actor
from bot.service import Services
from bot.service.launch.plan_model import LaunchRequest
from bot.store.db import Store
from localfw.server import LocalFlywheel
from tests.fixtures.localfw import EDITOR, VIEWER
from tests.service.subscription_support import (
    EDITOR_ACTOR,
    Recorder,
    run_outside,
    services_for,
)

NESTED = "/projects/{cid}/sessions/analyses"
FLYWHEEL_TIME = 60 + 600 + 1  # the test simulator: a minute pending, ten running


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def services(
    localfw: LocalFlywheel, store: Store, recorder: Recorder, tmp_path: Path
) -> Iterator[Services]:
    svc = services_for(localfw, store, recorder, tmp_path)
    yield svc
    svc.workers.shutdown()


def follow(services: Services, channel: str, events: str, gear: str | None = None) -> None:
    actor = Actor(email=VIEWER, slack_user_id="U9", channel_id=channel)  # read-only suffices
    services.subscriptions.subscribe(actor, "gear_testing", gear=gear, events=events.split(","))


def test_a_fwbot_batch_ending_with_failures_is_posted_once_where_asked(
    services: Services, localfw: LocalFlywheel, recorder: Recorder
) -> None:
    follow(services, "C-FAILED", "failed")
    follow(services, "C-DONE", "done")  # asked only for batches without failures
    follow(services, "C-QSI", "failed", gear="qsiprep-hpc")  # another gear
    ticket = services.launches.request(
        EDITOR_ACTOR, LaunchRequest(gear="flaky-gear", project="gear_testing", config_name="flaky")
    )
    services.launches.confirm(EDITOR_ACTOR, ticket.batch.id)
    services.workers.wait_idle(PATIENCE)
    localfw.clock.advance(FLYWHEEL_TIME)
    view = services.launches.status(EDITOR_ACTOR, ticket.batch.id)
    assert view.all_final and view.failed == 248

    services.notifications.events.batch_ended(view)
    services.notifications.events.batch_ended(view)  # told twice (a second replica): once
    services.notifications.outside.tick()  # fwbot's own runs are not "outside" runs

    assert [(c, n.kind, n.batch_id) for c, n in recorder.events] == [
        ("C-FAILED", "failed", ticket.batch.id)
    ]
    notice = recorder.events[0][1]
    assert (notice.failed, notice.complete, notice.launched_by) == (248, 0, EDITOR)


def test_an_outside_batch_failing_is_found_in_a_few_requests_and_posted_once(
    services: Services, localfw: LocalFlywheel, recorder: Recorder
) -> None:
    follow(services, "C1", "done,failed,stuck")
    run_outside(localfw, EDITOR, "flaky-gear", 12)  # always fails in the simulator
    run_outside(localfw, EDITOR, "qsiprep-hpc", 3)  # completes

    localfw.requests.reset()
    services.notifications.outside.tick()
    assert recorder.events == []  # still running: nothing to say yet
    # one page of analyses with their jobs, and the empty page that ends the list
    assert localfw.requests.count(route=NESTED) == 2

    localfw.clock.advance(FLYWHEEL_TIME)
    localfw.requests.reset()
    services.notifications.outside.tick()
    services.notifications.outside.tick()

    told = sorted((n.gear_name, n.kind, n.total, n.failed, n.complete) for _, n in recorder.events)
    assert told == [("flaky-gear", "failed", 12, 12, 0), ("qsiprep-hpc", "done", 3, 0, 3)]
    failed = next(n for _, n in recorder.events if n.kind == "failed")
    assert failed.outside and failed.launched_by == EDITOR and failed.batch_id is None
    assert len(failed.failures) == 5 and all(f.session_label for f in failed.failures)
    # two passes: their analyses (two requests each), the sessions' labels once (to name
    # the failures), and nothing per run or per session
    assert localfw.requests.count(route=NESTED) == 4
    assert localfw.requests.count() <= 7


def test_runs_made_before_the_channel_subscribed_are_not_news(
    services: Services, localfw: LocalFlywheel, recorder: Recorder
) -> None:
    run_outside(localfw, EDITOR, "flaky-gear", 2)
    localfw.clock.advance(FLYWHEEL_TIME)
    localfw.clock.advance(60)
    follow(services, "C1", "failed")
    services.notifications.outside.tick()
    assert recorder.events == []


def test_an_outside_run_stuck_far_longer_than_usual_is_told_once(
    localfw: LocalFlywheel, store: Store, recorder: Recorder, tmp_path: Path
) -> None:
    """With runs expected to take five minutes, a script's runs still going after six are
    stuck: one alert naming the sessions, however many passes see them."""
    services = services_for(localfw, store, recorder, tmp_path, stuck_after=timedelta(minutes=5))
    try:
        follow(services, "C1", "stuck")
        run_outside(localfw, EDITOR, "qsiprep-hpc", 2)
        localfw.clock.advance(4 * 60)
        services.notifications.outside.tick()
        assert recorder.events == []
        localfw.clock.advance(2 * 60)
        services.notifications.outside.tick()
        services.notifications.outside.tick()
        localfw.clock.advance(FLYWHEEL_TIME)  # they end: not asked for
        services.notifications.outside.tick()
    finally:
        services.workers.shutdown()

    assert [(c, n.kind, n.active) for c, n in recorder.events] == [("C1", "stuck", 2)]
    assert len(recorder.events[0][1].stuck_sessions) == 2


def test_a_channel_that_refuses_posts_pauses_its_subscriptions(
    services: Services, localfw: LocalFlywheel, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    follow(services, "C-GONE", "failed")
    follow(services, "C-GONE", "done", gear="qsiprep-hpc")
    follow(services, "C-OK", "failed")
    recorder.gone["C-GONE"] = "not_in_channel"
    run_outside(localfw, EDITOR, "flaky-gear", 2)
    localfw.clock.advance(FLYWHEEL_TIME)

    with caplog.at_level(logging.WARNING):
        services.notifications.outside.tick()
        services.notifications.outside.tick()

    assert [c for c, _ in recorder.events] == ["C-OK"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "C-GONE" in warnings[0] and "not_in_channel" in warnings[0]
    listed = services.subscriptions.for_channel(
        Actor(email=VIEWER, slack_user_id="U9", channel_id="C-GONE")
    )
    assert [s.paused for s in listed.subscriptions] == [True, True]

    recorder.gone.clear()  # the bot is invited back, and someone subscribes again
    follow(services, "C-GONE", "failed")
    resumed = services.subscriptions.for_channel(
        Actor(email=VIEWER, slack_user_id="U9", channel_id="C-GONE")
    )
    assert [(s.gear, s.paused) for s in resumed.subscriptions] == [
        (None, False),
        ("qsiprep-hpc", True),
    ]
    services.notifications.outside.tick()
    assert [c for c, _ in recorder.events] == ["C-OK", "C-GONE"]
