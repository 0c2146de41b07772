"""Two replicas on one PostgreSQL: two bots' services (each its own gateway, Slack client
and owner name) over the same store run their batch watchers at the same moment against
one batch; the mock Slack gets its stuck alert once and its completion summary once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from bench.polling import PATIENCE
from bot.service import Services
from bot.service.policy import Policy
from bot.store.db import Store
from doubles.mock_slack import MockSlack
from localfw.server import LocalFlywheel
from tests.e2e.test_launch_e2e import launch_from_slack, make_services
from tests.e2e.test_summary_e2e import (
    LAST_END_S,
    RecordingEvents,
    demo_localfw,  # noqa: F401  (the fixture: qsiprep jobs that sometimes fail)
    thread_replies,
)
from tests.fixtures.slack import DEFAULT_CHANNEL_ID, Click, Slash

pytestmark = pytest.mark.postgres

STUCK_AFTER = timedelta(minutes=5)


@pytest.fixture
def events() -> RecordingEvents:
    return RecordingEvents()


def replica(
    localfw: LocalFlywheel, store: Store, mock_slack: MockSlack, events: RecordingEvents
) -> Services:
    return make_services(
        localfw,
        store,
        Policy(max_batch_without_approval=2000),
        mock_slack,
        events=events,
        stuck_after=lambda gear: STUCK_AFTER,
    )


@pytest.fixture
def slack_services(
    demo_localfw: LocalFlywheel,  # noqa: F811
    pg_store: Store,
    mock_slack: MockSlack,
    events: RecordingEvents,
) -> Iterator[Services]:
    """The replica Slack's requests reach (it launches the batch)."""
    services = replica(demo_localfw, pg_store, mock_slack, events)
    yield services
    services.workers.shutdown()


@pytest.fixture
def other(
    demo_localfw: LocalFlywheel,  # noqa: F811
    pg_store: Store,
    mock_slack: MockSlack,
    events: RecordingEvents,
) -> Iterator[Services]:
    """A second replica over the same PostgreSQL, posting to the same Slack."""
    services = replica(demo_localfw, pg_store, mock_slack, events)
    yield services
    services.workers.shutdown()


def together(*ticks: Callable[[], None]) -> None:
    """Run the watchers' passes at the same moment, each in its own thread."""
    start = threading.Barrier(len(ticks))
    errors: list[BaseException] = []

    def run(tick: Callable[[], None]) -> None:
        start.wait()
        try:
            tick()
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(t,)) for t in ticks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PATIENCE)
    assert not errors, errors


def test_two_watchers_post_the_stuck_alert_and_the_summary_once(
    slash: Slash,
    click: Click,
    slack_services: Services,
    other: Services,
    demo_localfw: LocalFlywheel,  # noqa: F811
    pg_store: Store,
    mock_slack: MockSlack,
    events: RecordingEvents,
) -> None:
    batch_id = launch_from_slack(slash, click, slack_services)
    stored = pg_store.messages.get(batch_id, "progress", DEFAULT_CHANNEL_ID)
    assert stored is not None

    demo_localfw.clock.advance(STUCK_AFTER.total_seconds() + 60)
    for _ in range(3):
        together(slack_services.watcher.tick, other.watcher.tick)

    [alert] = thread_replies(mock_slack)
    assert "queued or running for over 5 min" in alert.args["text"]
    assert [b for b, _ in events.stuck] == [batch_id]

    demo_localfw.clock.advance(LAST_END_S)
    for _ in range(3):
        together(slack_services.watcher.tick, other.watcher.tick)

    replies = thread_replies(mock_slack)
    summaries = [r for r in replies if r.args.get("reply_broadcast")]
    assert len(replies) == 2 and len(summaries) == 1
    assert summaries[0].args["thread_ts"] == stored.ts
    assert summaries[0].args["text"].startswith("qsiprep-hpc on gear_testing: ")
    assert len(mock_slack.files(DEFAULT_CHANNEL_ID)) == 1
    assert events.ended == [batch_id]
    assert pg_store.batches.get_existing(batch_id).summary_posted_at is not None
