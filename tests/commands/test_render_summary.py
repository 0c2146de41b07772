"""The completion summary and the stuck alert stay within Slack's limits whatever the
batch, and say what a phone should show first."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.domain import JobState
from bot.service.launch.progress import FailedSession, StuckJob, StuckReport
from commands.render.summary import FAILURES_SHOWN, csv_rows, needs_csv, stuck_alert, summary
from tests.commands.test_render_limits import assert_within_slack_limits
from tests.snapshots import inputs

LONG_REASON = "Traceback: " + "x" * 4_000


def huge_failures(n: int) -> tuple[FailedSession, ...]:
    return tuple(
        FailedSession(f"ses-{i}", f"sub-{i:05d}", LONG_REASON, f"job{i:06d}") for i in range(n)
    )


def test_five_thousand_failures_with_long_reasons_fit_and_all_go_in_the_csv() -> None:
    view = replace(
        inputs.PROGRESS_COMPLETE,
        failed_jobs=huge_failures(5_000),
        without_outputs=huge_failures(3_000),
        jobs={"complete": 3_000, "failed": 5_000},
    )

    reply = summary(view)

    assert_within_slack_limits(reply)
    assert len(reply.text) <= 3_000
    assert needs_csv(view)
    assert len(csv_rows(view)) == 5_000 + 3_000 + len(inputs.FAILURES)


def test_the_csv_is_only_needed_when_a_list_was_cut() -> None:
    at_limit = replace(inputs.PROGRESS_COMPLETE, failed_jobs=huge_failures(FAILURES_SHOWN))

    assert not needs_csv(at_limit)
    assert needs_csv(replace(at_limit, failed_jobs=huge_failures(FAILURES_SHOWN + 1)))


def test_the_fallback_text_starts_with_the_headline_and_mentions_the_requester() -> None:
    reply = summary(inputs.PROGRESS_COMPLETE)

    assert reply.text.startswith("qsiprep on PNC_CS_810336: 1,237 complete, 36 failed, 0 cancelled")
    assert reply.text.endswith("· <@U024BE7LH>")
    assert not reply.ephemeral


def test_without_a_slack_id_the_requester_is_named_by_email() -> None:
    view = replace(
        inputs.PROGRESS_COMPLETE,
        batch=replace(inputs.PROGRESS_COMPLETE.batch, requester_slack_id=None),
    )

    assert summary(view).text.endswith(f"· {inputs.REQUESTER}")


def test_five_thousand_stuck_jobs_fit() -> None:
    report = StuckReport(
        timedelta(hours=12),
        tuple(
            StuckJob(f"ses-{i}" * 50, f"sub-{i}", JobState.PENDING, timedelta(days=2))
            for i in range(5_000)
        ),
    )

    reply = stuck_alert(inputs.PROGRESS_LAUNCHED, report)

    assert_within_slack_limits(reply)
    assert reply.text.startswith("5,000 jobs of batch b7k2q")
