"""``SlackNotifier`` (through ``SlackPoster``) and the reporter against the mock Slack: the
batch message posted once and updated in place, launch failures, the summary (broadcast,
with its CSV) and the stuck alert in its thread; a channel that refuses posts is logged
once and left alone; other Slack errors are logged and retried, never raised."""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient

from bot.domain import JobState
from bot.domain.delivery import NOT_DELIVERED, NOWHERE, Console, Posted, SlackChannel, channel_of
from bot.service.launch.progress import BatchView, FailedSession, StuckJob, StuckReport
from bot.service.launch.reporting import BatchReporter
from bot.slack.notifier import SlackNotifier
from bot.store.channels import channel_at, channel_key
from bot.store.db import Store
from doubles.mock_slack import MockSlack
from tests.fakes import FakeFlywheelGateway
from tests.fixtures.slack import BOT_TOKEN
from tests.store.factories import spec, targets

CHANNEL = "C01LAB"
SLACK = SlackChannel(CHANNEL)
T0 = datetime(2024, 5, 14, 10, 0, tzinfo=UTC)


@pytest.fixture
def notifier(mock_slack: MockSlack) -> SlackNotifier:
    return SlackNotifier(WebClient(token=BOT_TOKEN, base_url=mock_slack.api_url), min_interval=0)


@pytest.fixture
def view(sqlite_store: Store) -> BatchView:
    batch, _ = sqlite_store.batches.create_or_get(spec(), targets(3))
    return BatchView(batch=batch, targets=3, launched=3, launch_failed=0, jobs={"pending": 3})


@pytest.fixture
def reporter(notifier: SlackNotifier, sqlite_store: Store) -> BatchReporter:
    return BatchReporter(
        FakeFlywheelGateway(),
        sqlite_store.batches,
        sqlite_store.messages,
        notifier,
    )


def ended(view: BatchView, failed: int) -> BatchView:
    """The batch with every job ended, ``failed`` of them failed with Flywheel's reason."""
    failures = tuple(
        FailedSession(f"ses{i}", f"sub{i}", "gear failure", f"job{i:04d}") for i in range(failed)
    )
    return replace(
        view,
        launched=failed + 1,
        jobs={"complete": 1, "failed": failed},
        failed_jobs=failures,
        started_at=T0,
        ended_at=T0 + timedelta(hours=2, minutes=14),
    )


def test_post_returns_the_ts_and_update_rewrites_that_message(
    notifier: SlackNotifier, view: BatchView, mock_slack: MockSlack
) -> None:
    posted = notifier.post(SLACK, view)
    assert isinstance(posted, Posted)
    ts = posted.ts
    done = BatchView(batch=view.batch, targets=3, launched=3, launch_failed=0, jobs={"complete": 3})
    notifier.update(SLACK, ts, done)

    [post] = mock_slack.calls("chat.postMessage")
    assert ts and post.args["channel"] == CHANNEL and post.token == BOT_TOKEN
    assert "thread_ts" not in post.args
    assert f"batch {view.batch.id}" in post.args["text"] and post.args["blocks"]
    [update] = mock_slack.calls("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (CHANNEL, ts)
    assert "3/3 complete" in update.args["text"]


def test_failures_go_in_the_thread(
    notifier: SlackNotifier, view: BatchView, mock_slack: MockSlack
) -> None:
    failed = BatchView(
        batch=view.batch,
        targets=3,
        launched=2,
        launch_failed=1,
        failures=(FailedSession("ses-01", "sub-07", "session not found"),),
    )

    notifier.post_failures(SLACK, "1700000000.000001", failed)

    [reply] = mock_slack.calls("chat.postMessage")
    assert reply.args["thread_ts"] == "1700000000.000001"
    assert "1 sessions failed to launch" in reply.args["text"]
    assert "sub-07 ses-01: session not found" in str(reply.args["blocks"])


def test_a_batch_without_a_channel_posts_nothing(
    notifier: SlackNotifier, view: BatchView, mock_slack: MockSlack
) -> None:
    console = channel_of(None)  # a batch asked for in the console
    assert channel_at(channel_key(console)) == console == Console()  # and as the store keeps it
    assert channel_at(channel_key(SLACK)) == SLACK == channel_of(CHANNEL)
    assert notifier.post(console, view) == NOWHERE  # settled, not a failure to retry
    assert notifier.update(console, "1700000000.000001", view) is True
    notifier.post_failures(console, None, view)
    assert notifier.post_summary(console, None, ended(view, 30)) == NOWHERE
    assert notifier.share_failures(console, None, ended(view, 30))
    assert notifier.post_stuck(console, None, view, StuckReport(timedelta(hours=1), ())) == NOWHERE

    assert mock_slack.calls() == []
    assert mock_slack.files() == []


def test_slack_errors_are_logged_with_the_batch_id_not_raised(
    notifier: SlackNotifier,
    view: BatchView,
    mock_slack: MockSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    mock_slack.api_errors = {"chat.postMessage": "internal_error", "chat.update": "fatal_error"}
    caplog.set_level(logging.WARNING, logger="bot.slack.notifier")

    assert notifier.post(SLACK, view) == NOT_DELIVERED  # the reporter posts again later
    assert notifier.update(SLACK, "1700000000.000001", view) is False
    notifier.post_failures(SLACK, "1700000000.000001", view)
    assert notifier.post_summary(SLACK, "1700000000.000001", view) == NOT_DELIVERED

    mine = [r for r in caplog.records if r.name == "bot.slack.notifier"]
    assert len(mine) == 4
    assert all(view.batch.id in r.getMessage() for r in mine)


def test_the_summary_is_a_thread_reply_broadcast_to_the_channel_mentioning_the_requester(
    notifier: SlackNotifier, view: BatchView, mock_slack: MockSlack
) -> None:
    posted = notifier.post_summary(SLACK, "1700000000.000001", ended(view, 2))

    [reply] = mock_slack.calls("chat.postMessage")
    assert isinstance(posted, Posted) and reply.args["thread_ts"] == "1700000000.000001"
    assert reply.args["reply_broadcast"] is True
    text = reply.args["text"]
    assert text.startswith("qsiprep-hpc on gear_testing: 1 complete, 2 failed, 0 cancelled")
    assert "2 h 14 min" in text and "<@U01ADA>" in text
    assert "sub0 ses0: gear failure" in str(reply.args["blocks"])


def test_a_short_failure_list_needs_no_csv_a_long_one_is_shared_whole_in_the_thread(
    notifier: SlackNotifier, view: BatchView, mock_slack: MockSlack
) -> None:
    assert notifier.share_failures(SLACK, "1700000000.000001", ended(view, 20))
    assert mock_slack.files() == []

    assert notifier.share_failures(SLACK, "1700000000.000001", ended(view, 21))

    [shared] = mock_slack.files(CHANNEL)
    assert shared.thread_ts == "1700000000.000001"
    assert shared.filename == f"{view.batch.id}-failed-sessions.csv"
    rows = list(csv.DictReader(io.StringIO(shared.content.decode())))
    assert [(r["subject"], r["session"], r["reason"]) for r in rows] == [
        (f"sub{i}", f"ses{i}", "gear failure") for i in range(21)
    ]


def test_the_reporter_posts_once_then_updates_the_stored_ts(
    reporter: BatchReporter, sqlite_store: Store, view: BatchView, mock_slack: MockSlack
) -> None:
    reporter.publish(view.batch.id, view)
    reporter.publish(view.batch.id, view)  # nothing changed: no call
    later = BatchView(
        batch=view.batch, targets=3, launched=3, launch_failed=0, jobs={"complete": 1, "running": 2}
    )
    reporter.publish(view.batch.id, later)

    [post] = mock_slack.calls("chat.postMessage")
    [update] = mock_slack.calls("chat.update")
    stored = sqlite_store.messages.get(view.batch.id, "progress", CHANNEL)
    assert stored is not None and stored.ts == update.args["ts"]
    assert post.args["channel"] == CHANNEL


def test_an_update_slack_refused_is_sent_again_on_the_next_tick(
    reporter: BatchReporter, sqlite_store: Store, view: BatchView, mock_slack: MockSlack
) -> None:
    sqlite_store.messages.save(view.batch.id, "progress", CHANNEL, "1700000000.000001")
    mock_slack.api_errors = {"chat.update": "internal_error"}
    reporter.publish(view.batch.id, view)  # the final "complete" update, refused

    mock_slack.api_errors = {}
    reporter.retry_unsent()
    reporter.retry_unsent()  # once through, nothing more to send

    assert len(mock_slack.calls("chat.update")) == 2


def test_the_summary_and_its_csv_are_posted_once_whoever_asks_again(
    reporter: BatchReporter, sqlite_store: Store, view: BatchView, mock_slack: MockSlack
) -> None:
    done = ended(view, 25)
    reporter.publish(view.batch.id, done)

    assert reporter.post_summary(done)
    assert reporter.post_summary(done)  # a retry after a crash: recorded, not posted again
    again = BatchReporter(  # another process over the same store
        FakeFlywheelGateway(),
        sqlite_store.batches,
        sqlite_store.messages,
        SlackNotifier(WebClient(token=BOT_TOKEN, base_url=mock_slack.api_url), min_interval=0),
    )
    assert again.post_summary(done)

    progress = sqlite_store.messages.get(view.batch.id, "progress", CHANNEL)
    assert progress is not None
    replies = [c for c in mock_slack.calls("chat.postMessage") if "thread_ts" in c.args]
    assert [r.args["thread_ts"] for r in replies] == [progress.ts]
    assert len(mock_slack.files(CHANNEL)) == 1


def test_a_csv_that_did_not_get_through_is_shared_on_the_next_try_without_a_second_summary(
    reporter: BatchReporter, view: BatchView, mock_slack: MockSlack
) -> None:
    done = ended(view, 25)
    mock_slack.api_errors = {"files.getUploadURLExternal": "internal_error"}

    assert reporter.post_summary(done) is False  # the summary went, the file did not

    mock_slack.api_errors = {}
    assert reporter.post_summary(done) is True

    replies = [c for c in mock_slack.calls("chat.postMessage") if "thread_ts" in c.args]
    assert len(replies) == 1
    assert len(mock_slack.files(CHANNEL)) == 1


def test_a_channel_that_refuses_posts_is_logged_once_and_never_tried_again(
    reporter: BatchReporter,
    view: BatchView,
    mock_slack: MockSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.service.launch.reporting")
    mock_slack.channel_errors[CHANNEL] = "not_in_channel"

    reporter.publish(view.batch.id, view)
    reporter.publish(view.batch.id, replace(view, jobs={"running": 3}))
    reporter.retry_unsent()
    stuck = StuckReport(timedelta(hours=1), (StuckJob("ses0", "sub0", JobState.RUNNING, T0 - T0),))
    assert reporter.post_stuck(view, stuck)  # settled: nowhere to post
    assert reporter.post_summary(ended(view, 25))

    assert len(mock_slack.calls()) == 1  # the first post, refused; nothing after
    gone = [r for r in caplog.records if "refuses posts" in r.getMessage()]
    assert len(gone) == 1
    assert view.batch.id in gone[0].getMessage() and CHANNEL in gone[0].getMessage()
    assert gone[0].levelno == logging.WARNING


def test_the_stuck_alert_goes_in_the_thread_once(
    reporter: BatchReporter, view: BatchView, mock_slack: MockSlack
) -> None:
    reporter.publish(view.batch.id, view)
    stuck = StuckReport(
        timedelta(hours=12),
        (StuckJob("ses0", "sub0", JobState.RUNNING, timedelta(hours=14)),),
    )

    assert reporter.post_stuck(view, stuck)
    assert reporter.post_stuck(view, stuck)

    [alert] = [c for c in mock_slack.calls("chat.postMessage") if "thread_ts" in c.args]
    assert "queued or running for over 12 h" in alert.args["text"]
    assert "<@U01ADA>" in alert.args["text"]
    assert not alert.args.get("reply_broadcast")
