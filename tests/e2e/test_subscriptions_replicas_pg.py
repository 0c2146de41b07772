"""Two replicas, one PostgreSQL: two processes' worth of services, each running its own
APScheduler (digest cron jobs, the outside-runs pass), post to one mock Slack; every
subscribed channel gets each digest and each event once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient

from bench.polling import eventually
from bot.domain import Actor
from bot.scheduler import OUTSIDE_RUNS_JOB, start_scheduler
from bot.service import Services
from bot.service.policy import Policy
from bot.slack.posting import SlackPoster
from bot.slack.subscription_notifier import SlackSubscriptionNotifier
from bot.store.db import Store
from doubles.mock_slack import MockSlack
from localfw.server import LocalFlywheel
from tests.e2e.conftest import WORKSPACE_EMAILS
from tests.fixtures.accounts import build_linked_services
from tests.fixtures.localfw import EDITOR, VIEWER
from tests.fixtures.slack import BOT_TOKEN
from tests.service.subscription_support import run_outside

pytestmark = pytest.mark.postgres

CHANNELS = ("C-ALL", "C-FLAKY")


def replica(localfw: LocalFlywheel, store: Store, mock_slack: MockSlack) -> Services:
    """One fwbot process: its own gateway, Slack client and owner name; the shared store."""
    poster = SlackPoster(WebClient(token=BOT_TOKEN, base_url=mock_slack.api_url), min_interval=0)
    return build_linked_services(
        localfw,
        store,
        Policy(),
        Path("configs"),
        slack_users=WORKSPACE_EMAILS,
        subscription_notifier=SlackSubscriptionNotifier(poster),
        clock=localfw.clock.now,
    )


class Runs:
    """Counts the jobs a scheduler has run, by job id, and waits for them."""

    def __init__(self, scheduler: BackgroundScheduler) -> None:
        self.done: Counter[str] = Counter()
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()  # jobs end in the executor's threads
        scheduler.add_listener(self._seen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

    def _seen(self, event: JobExecutionEvent) -> None:
        with self._lock:
            self.done[event.job_id] += 1
            if event.exception is not None:
                self.errors.append(event.exception)

    def wait(self, job_id: str, times: int) -> None:
        eventually(lambda: self.done[job_id] >= times, f"{job_id} to run {times} times")


@pytest.fixture
def replicas(
    localfw: LocalFlywheel, pg_store: Store, mock_slack: MockSlack
) -> Iterator[list[Services]]:
    both = [replica(localfw, pg_store, mock_slack) for _ in range(2)]
    yield both
    for services in both:
        services.workers.shutdown()


def test_two_schedulers_post_each_digest_and_event_once(
    replicas: list[Services], localfw: LocalFlywheel, mock_slack: MockSlack
) -> None:
    first, second = replicas
    first.subscriptions.subscribe(
        Actor(email=VIEWER, channel_id="C-ALL"), "gear_testing", events=["failed"], at="09:00"
    )
    second.subscriptions.subscribe(
        Actor(email=EDITOR, channel_id="C-FLAKY"),
        "gear_testing",
        gear="flaky-gear",
        events=["failed", "digest"],
        at="17:00",
        tz="Europe/Paris",
    )
    run_outside(localfw, EDITOR, "flaky-gear", 6)  # a script's batch; every run fails
    localfw.clock.advance(2 * 3600)
    mock_slack.forget()

    schedulers = [
        start_scheduler(
            services.watcher,
            interval=3600,
            notifications=services.notifications,
            outside_interval=0.05,
            sync_interval=3600,
        )
        for services in replicas
    ]
    try:
        runs = [Runs(s) for s in schedulers]
        for scheduler in schedulers:  # both replicas' digests come due now
            digests = [j for j in scheduler.get_jobs() if j.id.startswith("digest-")]
            assert len(digests) == 2
            for job in digests:
                scheduler.modify_job(job.id, next_run_time=datetime.now(UTC))
        for scheduler, seen in zip(schedulers, runs, strict=True):
            for job in scheduler.get_jobs():
                if job.id.startswith("digest-"):
                    seen.wait(job.id, 1)
            seen.wait(OUTSIDE_RUNS_JOB, 3)
    finally:
        for scheduler in schedulers:
            scheduler.shutdown(wait=True)

    assert runs[0].errors == runs[1].errors == []
    for channel in CHANNELS:
        texts = [
            str(c.args.get("text"))
            for c in mock_slack.calls("chat.postMessage")
            if c.args.get("channel") == channel
        ]
        assert sorted(t[:1] for t in texts) == ["❌", "📋"], texts  # one event, one digest
        assert [f.filename.startswith("failures-") for f in mock_slack.files(channel)] == [True]
