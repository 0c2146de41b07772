"""``SlackNotifier``: the batch message posted once, updated in place, failures in its
thread, all against the mock Slack; a Slack error is logged, never raised."""

from __future__ import annotations

import logging

import pytest
from slack_sdk import WebClient

from bot.service.launch.progress import BatchView, FailedSession
from bot.service.launch.reporting import BatchReporter
from bot.slack.notifier import SlackNotifier
from bot.store.db import Store
from doubles.mock_slack import MockSlack
from tests.fakes import FakeFlywheelGateway
from tests.fixtures.slack import BOT_TOKEN
from tests.store.factories import spec, targets


@pytest.fixture
def notifier(mock_slack: MockSlack) -> SlackNotifier:
    return SlackNotifier(WebClient(token=BOT_TOKEN, base_url=mock_slack.api_url))


@pytest.fixture
def view(sqlite_store: Store) -> BatchView:
    batch, _ = sqlite_store.batches.create_or_get(spec(), targets(3))
    return BatchView(batch=batch, targets=3, launched=3, launch_failed=0, jobs={"pending": 3})


def test_post_returns_the_ts_and_update_rewrites_that_message(
    notifier: SlackNotifier, view: BatchView, mock_slack: MockSlack
) -> None:
    ts = notifier.post("C01LAB", view)
    done = BatchView(batch=view.batch, targets=3, launched=3, launch_failed=0, jobs={"complete": 3})
    notifier.update("C01LAB", ts, done)

    [post] = mock_slack.calls("chat.postMessage")
    assert ts and post.args["channel"] == "C01LAB" and post.token == BOT_TOKEN
    assert "thread_ts" not in post.args
    assert f"batch {view.batch.id}" in post.args["text"] and post.args["blocks"]
    [update] = mock_slack.calls("chat.update")
    assert (update.args["channel"], update.args["ts"]) == ("C01LAB", ts)
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

    notifier.post_failures("C01LAB", "1700000000.000001", failed)

    [reply] = mock_slack.calls("chat.postMessage")
    assert reply.args["thread_ts"] == "1700000000.000001"
    assert "1 sessions failed to launch" in reply.args["text"]
    assert "sub-07 ses-01: session not found" in str(reply.args["blocks"])


def test_a_batch_without_a_channel_posts_nothing(
    notifier: SlackNotifier, view: BatchView, mock_slack: MockSlack
) -> None:
    message_id = notifier.post("console", view)
    assert message_id  # "nothing to post" is settled, not a failure to retry
    assert notifier.update("console", message_id, view) is True
    notifier.post_failures("console", message_id, view)

    assert mock_slack.calls() == []


def test_slack_errors_are_logged_with_the_batch_id_not_raised(
    notifier: SlackNotifier,
    view: BatchView,
    mock_slack: MockSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    mock_slack.api_errors = {"chat.postMessage": "channel_not_found", "chat.update": "ratelimited"}
    caplog.set_level(logging.WARNING, logger="bot.slack.notifier")

    assert notifier.post("C0GONE", view) == ""  # refused: the reporter posts again later
    assert notifier.update("C01LAB", "1700000000.000001", view) is False
    notifier.post_failures("C01LAB", "1700000000.000001", view)

    assert len(caplog.records) == 3
    assert all(view.batch.id in r.getMessage() for r in caplog.records)
    assert "channel_not_found" in caplog.records[0].getMessage()


def test_the_reporter_posts_once_then_updates_the_stored_ts(
    notifier: SlackNotifier, sqlite_store: Store, view: BatchView, mock_slack: MockSlack
) -> None:
    reporter = BatchReporter(
        FakeFlywheelGateway(), sqlite_store.batches, sqlite_store.messages, notifier
    )
    reporter.publish(view.batch.id, view)
    reporter.publish(view.batch.id, view)  # nothing changed: no call
    later = BatchView(
        batch=view.batch, targets=3, launched=3, launch_failed=0, jobs={"complete": 1, "running": 2}
    )
    reporter.publish(view.batch.id, later)

    [post] = mock_slack.calls("chat.postMessage")
    [update] = mock_slack.calls("chat.update")
    stored = sqlite_store.messages.get(view.batch.id, "progress", "C01LAB")
    assert stored is not None and stored.ts == update.args["ts"]
    assert post.args["channel"] == "C01LAB"


def test_an_update_slack_refused_is_sent_again_on_the_next_tick(
    notifier: SlackNotifier, sqlite_store: Store, view: BatchView, mock_slack: MockSlack
) -> None:
    reporter = BatchReporter(
        FakeFlywheelGateway(), sqlite_store.batches, sqlite_store.messages, notifier
    )
    sqlite_store.messages.save(view.batch.id, "progress", "C01LAB", "1700000000.000001")
    mock_slack.api_errors = {"chat.update": "ratelimited"}
    reporter.publish(view.batch.id, view)  # the final "complete" update, refused

    mock_slack.api_errors = {}
    reporter.retry_unsent()
    reporter.retry_unsent()  # once through, nothing more to send

    assert len(mock_slack.calls("chat.update")) == 2
