"""The daily digest: its content at a fixed clock, nothing on a quiet day, once per
subscription and local date, and its cron job at its time in its time zone."""

from __future__ import annotations

import csv
import io
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED

from bench.polling import PATIENCE
from bot.domain import Actor
from bot.scheduler import start_scheduler, trigger
from bot.service import Services
from bot.service.launch.plan_model import LaunchRequest
from bot.service.subscriptions import DigestSlot
from bot.store.db import Store
from commands.render import subscriptions as render
from localfw.server import LocalFlywheel
from tests.fixtures.localfw import EDITOR, VIEWER
from tests.service.subscription_support import (
    EDITOR_ACTOR,
    Recorder,
    run_outside,
    services_for,
)

VIEWER_ACTOR = Actor(email=VIEWER, slack_user_id="U9", channel_id="C-DIGEST")
NEW_YORK = "America/New_York"


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def services(
    localfw: LocalFlywheel, sqlite_store: Store, recorder: Recorder, tmp_path: Path
) -> Iterator[Services]:
    svc = services_for(localfw, sqlite_store, recorder, tmp_path)
    yield svc
    svc.workers.shutdown()


def subscribe_digest(services: Services, at: str = "09:00", gear: str | None = None) -> int:
    result = services.subscriptions.subscribe(
        VIEWER_ACTOR, "gear_testing", gear=gear, events=["digest"], at=at, tz=NEW_YORK
    )
    return result.subscription.id


def test_a_day_of_fwbot_and_outside_runs_in_one_digest(
    services: Services, localfw: LocalFlywheel, recorder: Recorder
) -> None:
    """At 09:00 in New York: per gear, launched, complete, failed and still pending over
    the 24 hours before, fwbot's batch and a script's runs alike, failures as CSV."""
    sub = subscribe_digest(services)
    ticket = services.launches.request(
        EDITOR_ACTOR, LaunchRequest(gear="qsiprep-hpc", project="gear_testing", config_name="qsi")
    )
    services.launches.confirm(EDITOR_ACTOR, ticket.batch.id)
    services.workers.wait_idle(PATIENCE)
    run_outside(localfw, EDITOR, "flaky-gear", 7)  # a script; always fails here
    localfw.clock.advance(2 * 3600)  # all of those have ended
    run_outside(localfw, EDITOR, "qsiprep-hpc", 3)  # still pending at digest time
    # the SimClock starts at 12:00 UTC (07:00 in New York); 09:00 is two hours later
    assert localfw.clock.now().astimezone(ZoneInfo(NEW_YORK)).strftime("%H:%M") == "09:00"

    assert services.notifications.digests.run(sub) is True

    [(channel, digest)] = recorder.digests
    assert channel == "C-DIGEST" and digest.local_date.isoformat() == "2024-01-08"
    rows = {g.gear_name: (g.launched, g.complete, g.failed, g.pending) for g in digest.gears}
    assert rows == {"flaky-gear": (7, 0, 7, 0), "qsiprep-hpc": (248 + 3, 248, 0, 3)}
    [(_, shared, thread)] = recorder.files
    assert shared is digest and thread == "ts-1"
    table = list(csv.DictReader(io.StringIO(render.failures_csv(digest).decode())))
    assert len(table) == 7 and {r["launched_by"] for r in table} == {EDITOR}
    assert all(r["session"] and r["gear"] == "flaky-gear" for r in table)
    headline = render.digest(digest).text
    assert headline.startswith("📋 gear_testing, last 24 h: 258 launched, 248 complete, 7 failed")


def test_a_quiet_day_posts_nothing_and_each_day_posts_once(
    services: Services, localfw: LocalFlywheel, recorder: Recorder
) -> None:
    sub = subscribe_digest(services, gear="flaky-gear")
    run_outside(localfw, EDITOR, "qsiprep-hpc", 2)  # another gear: not this digest's

    assert services.notifications.digests.run(sub) is False  # nothing to say
    run_outside(localfw, EDITOR, "flaky-gear", 2)
    assert services.notifications.digests.run(sub) is False  # today's was settled: once
    assert recorder.digests == []

    localfw.clock.advance(23 * 3600)  # the next morning, with the two failed runs
    assert services.notifications.digests.run(sub) is True
    assert services.notifications.digests.run(sub) is False
    [(_, digest)] = recorder.digests
    assert [(g.gear_name, g.launched, g.failed) for g in digest.gears] == [("flaky-gear", 2, 2)]


def test_at_now_sets_the_next_minute_in_the_zone(services: Services) -> None:
    """The first digest within a minute, on the wall clock the cron triggers follow."""
    before = datetime.now(UTC)
    result = services.subscriptions.subscribe(
        VIEWER_ACTOR, "gear_testing", events=["done"], at="now", tz=NEW_YORK
    )
    after = datetime.now(UTC)
    assert "digest" in result.subscription.events
    expected = {
        (t + timedelta(minutes=1)).astimezone(ZoneInfo(NEW_YORK)).strftime("%H:%M")
        for t in (before, after)
    }
    assert result.subscription.digest_time in expected


def test_the_cron_trigger_fires_at_the_time_in_its_zone() -> None:
    """09:00 in New York is 14:00 UTC in winter and 13:00 UTC in summer."""
    slot = DigestSlot(subscription_id=1, hour=9, minute=0, timezone=NEW_YORK)
    winter = trigger(slot).get_next_fire_time(None, datetime(2024, 1, 8, 12, 0, tzinfo=UTC))
    summer = trigger(slot).get_next_fire_time(None, datetime(2024, 7, 8, 14, 0, tzinfo=UTC))
    assert winter is not None and winter.astimezone(UTC) == datetime(2024, 1, 8, 14, 0, tzinfo=UTC)
    assert summer is not None and summer.astimezone(UTC) == datetime(2024, 7, 9, 13, 0, tzinfo=UTC)


def test_the_scheduler_keeps_one_job_per_digest_in_step_with_subscriptions(
    services: Services,
) -> None:
    scheduler = start_scheduler(
        services.watcher, interval=3600, notifications=services.notifications
    )
    try:
        sub = subscribe_digest(services, at="08:30")
        job = scheduler.get_job(f"digest-{sub}")
        assert job is not None and job.next_run_time is not None
        local = job.next_run_time.astimezone(ZoneInfo(NEW_YORK))
        assert local.strftime("%H:%M") == "08:30"
        assert timedelta(0) < job.next_run_time - datetime.now(UTC) <= timedelta(days=1)

        subscribe_digest(services, at="17:45")  # changed: the job follows
        job = scheduler.get_job(f"digest-{sub}")
        assert job.next_run_time.astimezone(ZoneInfo(NEW_YORK)).strftime("%H:%M") == "17:45"

        services.subscriptions.unsubscribe(VIEWER_ACTOR, "gear_testing")
        assert scheduler.get_job(f"digest-{sub}") is None
        assert {j.id for j in scheduler.get_jobs()} == {
            "batch-watcher",
            "sync-digests",
            "outside-runs",
        }
    finally:
        scheduler.shutdown(wait=False)


def test_the_scheduler_logs_no_line_per_job_run(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """APScheduler says "Running job ..." at INFO on every run: kept out of fwbot's log."""
    ran = threading.Semaphore(0)
    with caplog.at_level(logging.INFO):
        scheduler = start_scheduler(
            services.watcher,
            interval=3600,
            notifications=services.notifications,
            outside_interval=0.05,
        )
        scheduler.add_listener(lambda event: ran.release(), EVENT_JOB_EXECUTED)
        try:
            assert ran.acquire(timeout=PATIENCE) and ran.acquire(timeout=PATIENCE)
        finally:
            scheduler.shutdown(wait=True)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("apscheduler")] == []
