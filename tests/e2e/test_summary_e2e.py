"""The completion summary and the stuck-jobs alert, end to end: a batch launched through
signed Slack requests on the real bolt app, the demo world in the local Flywheel (a
simulated clock; qsiprep jobs fail now and then with Flywheel's ``failure_reason``), the
watcher's pass as the scheduler runs it, and what lands on the mock Slack."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.polling import PATIENCE
from bot import console
from bot.console import ConsoleNotifier
from bot.domain import BatchState
from bot.service import Services
from bot.service.launch.progress import BatchView
from bot.service.policy import Policy
from bot.store.db import Store
from commands.render.batch import duration
from doubles.mock_slack import ApiCall, MockSlack
from localfw.demo_world import DEMO_ANALYST, DEMO_BOT, build_demo_world
from localfw.server import LocalFlywheel
from localfw.simulator import GearTiming, SimClock, SimulatorSettings
from tests.e2e.conftest import WORKSPACE_EMAILS
from tests.e2e.test_launch_e2e import (
    SITE_URL,
    button_values,
    launch_from_slack,
    make_services,
    tagged_jobs,
)
from tests.fakes import REPO_CONFIGS
from tests.fixtures.accounts import build_linked_services, link
from tests.fixtures.slack import DEFAULT_CHANNEL_ID, Click, Slash

PENDING_S, RUN_S, JITTER = 60, 600, 0.2
LAST_END_S = (PENDING_S + RUN_S) * (1 + JITTER) + 1  # every job has ended by then
REQUESTER_SLACK_ID = "U0ALICE"


@dataclass
class RecordingEvents:
    """``BatchEvents`` as subscribed channels would hear them."""

    ended: list[str] = field(default_factory=list)
    stuck: list[tuple[str, list[str]]] = field(default_factory=list)

    def batch_ended(self, view: BatchView) -> None:
        self.ended.append(view.batch.id)

    def batch_stuck(self, view: BatchView, stuck_sessions: Sequence[str]) -> None:
        self.stuck.append((view.batch.id, list(stuck_sessions)))


@pytest.fixture
def demo_localfw() -> Iterator[LocalFlywheel]:
    """The demo world with qsiprep failing 5% of the time and durations varying ±20%."""
    lf = LocalFlywheel(
        build_demo_world(),
        api_key="demo-test-key",
        user=DEMO_BOT,
        clock=SimClock(),
        simulator_settings=SimulatorSettings(
            default=GearTiming(pending_s=PENDING_S, run_s=RUN_S, failure_rate=0.0),
            per_gear={"qsiprep": GearTiming(PENDING_S, RUN_S, failure_rate=0.05)},
            seed=1,
            jitter=JITTER,
        ),
    )
    lf.start(port=0)
    try:
        yield lf
    finally:
        lf.stop()


@pytest.fixture
def e2e_policy() -> Policy:
    return Policy(max_batch_without_approval=2000)


@pytest.fixture
def events() -> RecordingEvents:
    return RecordingEvents()


@pytest.fixture
def stuck_after() -> timedelta:
    return timedelta(hours=12)


@pytest.fixture
def slack_services(
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
    e2e_policy: Policy,
    mock_slack: MockSlack,
    events: RecordingEvents,
    stuck_after: timedelta,
) -> Iterator[Services]:
    services = restart(demo_localfw, sqlite_store, e2e_policy, mock_slack, events, stuck_after)
    yield services
    services.workers.shutdown()


def restart(
    localfw: LocalFlywheel,
    store: Store,
    policy: Policy,
    mock_slack: MockSlack,
    events: RecordingEvents,
    stuck_after: timedelta,
) -> Services:
    """A bot process (a new one each call) over the same store, Flywheel and Slack."""
    return make_services(
        localfw, store, policy, mock_slack, events=events, stuck_after=lambda gear: stuck_after
    )


def thread_replies(mock: MockSlack) -> list[ApiCall]:
    return [c for c in mock.calls("chat.postMessage") if c.args.get("thread_ts")]


def jobs_by_state(localfw: LocalFlywheel, batch_id: str) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for job in tagged_jobs(localfw, batch_id):
        found.setdefault(job["state"], []).append(job)
    return found


def labels(localfw: LocalFlywheel, jobs: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(subject, session) of each job's session, as the lab names them."""
    with localfw.world.lock:
        sessions = [localfw.world.sessions[j["parents"]["session"]] for j in jobs]
        return {
            (localfw.world.subjects[s["parents"]["subject"]]["label"], s["label"]) for s in sessions
        }


def took(jobs: list[dict[str, Any]]) -> str:
    """How long the batch ran by Flywheel's own job times (first queued to last ended)."""
    start = min(datetime.fromisoformat(j["created"]) for j in jobs)
    end = max(datetime.fromisoformat(j["transitions"][j["state"]]) for j in jobs)
    return duration(end - start)


def test_the_summary_is_posted_once_when_the_last_job_ends_and_never_again(
    slash: Slash,
    click: Click,
    slack_services: Services,
    demo_localfw: LocalFlywheel,
    sqlite_store: Store,
    mock_slack: MockSlack,
    e2e_policy: Policy,
    events: RecordingEvents,
) -> None:
    batch_id = launch_from_slack(slash, click, slack_services)
    stored = sqlite_store.messages.get(batch_id, "progress", DEFAULT_CHANNEL_ID)
    assert stored is not None

    # most jobs have ended, a few are still running: no summary yet
    demo_localfw.clock.advance(PENDING_S + RUN_S + 40)
    slack_services.watcher.tick()
    assert jobs_by_state(demo_localfw, batch_id).get("running")
    assert sqlite_store.batches.get_existing(batch_id).state is BatchState.LAUNCHED
    assert thread_replies(mock_slack) == []
    assert events.ended == []

    demo_localfw.clock.advance(LAST_END_S)  # the last job ends
    slack_services.watcher.tick()

    jobs = jobs_by_state(demo_localfw, batch_id)
    complete, failed = jobs["complete"], jobs["failed"]
    assert len(complete) + len(failed) == len(tagged_jobs(demo_localfw, batch_id))
    assert len(failed) > 20  # more than the summary lists: the CSV has them all
    # the channel message turned final
    last = mock_slack.calls("chat.update")[-1]
    assert last.args["ts"] == stored.ts and "finished" in last.args["text"]
    # one reply in its thread, shown in the channel too, headline first, mentioning the requester
    [summary] = thread_replies(mock_slack)
    assert summary.args["thread_ts"] == stored.ts
    assert summary.args["channel"] == DEFAULT_CHANNEL_ID
    assert summary.args["reply_broadcast"] is True
    headline = (
        f"qsiprep-hpc on gear_testing: {len(complete):,} complete, {len(failed):,} failed, "
        f"0 cancelled · {took(complete + failed)}"
    )
    assert summary.args["text"] == f"{headline} · <@{REQUESTER_SLACK_ID}>"
    blocks = json.dumps(summary.args["blocks"], ensure_ascii=False)
    assert blocks.index(headline) < blocks.index(f"*{len(failed):,} failed*")  # counts first
    assert ": gear failure" in blocks  # Flywheel's failure_reason, in words
    assert f"… and {len(failed) - 20:,} more" in blocks
    assert f"{SITE_URL}/#/projects/" in blocks
    values = button_values({"blocks": summary.args["blocks"]})
    assert set(values) == {"fw_retry", "fw_status"}
    # the full list, as a CSV file in the same thread
    [shared] = mock_slack.files(DEFAULT_CHANNEL_ID)
    assert shared.thread_ts == stored.ts
    rows = list(csv.DictReader(io.StringIO(shared.content.decode())))
    assert {(r["subject"], r["session"]) for r in rows} == labels(demo_localfw, failed)
    assert {r["reason"] for r in rows} == {"gear failure"}
    assert all(r["job_url"].startswith(f"{SITE_URL}/#/jobs/") for r in rows)
    assert events.ended == [batch_id]

    # more passes, and a restarted bot over the same store: nothing posted again
    slack_services.watcher.tick()
    again = restart(demo_localfw, sqlite_store, e2e_policy, mock_slack, events, timedelta(hours=12))
    try:
        again.watcher.tick()
    finally:
        again.workers.shutdown()
    assert len(thread_replies(mock_slack)) == 1
    assert len(mock_slack.files()) == 1
    assert events.ended == [batch_id]
    assert sqlite_store.batches.get_existing(batch_id).summary_posted_at is not None


def test_the_summarys_status_button_answers_the_clicker_and_leaves_the_summary(
    slash: Slash,
    click: Click,
    slack_services: Services,
    demo_localfw: LocalFlywheel,
    mock_slack: MockSlack,
) -> None:
    batch_id = launch_from_slack(slash, click, slack_services)
    demo_localfw.clock.advance(LAST_END_S)
    slack_services.watcher.tick()
    [summary] = thread_replies(mock_slack)
    value = button_values({"blocks": summary.args["blocks"]})["fw_status"]

    answer = click("fw_status", batch_id, user_id="U0VIEWER", is_ephemeral=False, value=value)
    shown = answer.answer()

    assert shown["response_type"] == "ephemeral" and shown["replace_original"] is False
    assert f"batch {batch_id} · finished" in shown["text"]
    outsider = click("fw_status", batch_id, user_id="U0OUTSIDER", is_ephemeral=False).answer()
    assert f"No batch named `{batch_id}`" in outsider["text"]


class TestStuckJobs:
    @pytest.fixture
    def stuck_after(self) -> timedelta:
        return timedelta(minutes=5)  # qsiprep "usually" takes under 5 minutes here

    def test_one_alert_in_the_thread_when_jobs_run_too_long_and_not_again(
        self,
        slash: Slash,
        click: Click,
        slack_services: Services,
        demo_localfw: LocalFlywheel,
        sqlite_store: Store,
        mock_slack: MockSlack,
        e2e_policy: Policy,
        events: RecordingEvents,
    ) -> None:
        batch_id = launch_from_slack(slash, click, slack_services)
        stored = sqlite_store.messages.get(batch_id, "progress", DEFAULT_CHANNEL_ID)
        assert stored is not None

        demo_localfw.clock.advance(4 * 60)  # queued 4 minutes: not stuck yet
        slack_services.watcher.tick()
        assert thread_replies(mock_slack) == []

        demo_localfw.clock.advance(2 * 60)  # 6 minutes
        slack_services.watcher.tick()
        slack_services.watcher.tick()
        again = restart(
            demo_localfw, sqlite_store, e2e_policy, mock_slack, events, timedelta(minutes=5)
        )
        try:
            again.watcher.tick()
        finally:
            again.workers.shutdown()

        [alert] = thread_replies(mock_slack)
        assert alert.args["thread_ts"] == stored.ts
        assert not alert.args.get("reply_broadcast")
        jobs = len(tagged_jobs(demo_localfw, batch_id))
        assert alert.args["text"].startswith(
            f"{jobs:,} jobs of batch {batch_id} (qsiprep-hpc on gear_testing) have been queued "
            "or running for over 5 min"
        )
        assert f"<@{REQUESTER_SLACK_ID}>" in alert.args["text"]
        [(stuck_batch, sessions)] = events.stuck
        assert stuck_batch == batch_id and len(sessions) == jobs


def test_the_console_prints_the_summary_and_writes_the_csv_as_it_fires(
    demo_localfw: LocalFlywheel, sqlite_store: Store, tmp_path: Path
) -> None:
    """`make demo`'s console: the same watcher pass, printed instead of posted."""
    out = io.StringIO()
    services = build_linked_services(
        demo_localfw,
        sqlite_store,
        Policy(max_batch_without_approval=2000),
        REPO_CONFIGS,
        slack_users=WORKSPACE_EMAILS,
        notifier=ConsoleNotifier(out, tmp_path / "exports"),
        clock=demo_localfw.clock.now,
    )
    try:
        link(services, demo_localfw, DEMO_ANALYST)  # as the demo links its console user
        actor = services.identity.for_email(DEMO_ANALYST)
        console.answer("launch qsiprep-hpc project=gear_testing", actor, services)
        console.answer("confirm", actor, services)
        services.workers.wait_idle(PATIENCE)
        [batch] = sqlite_store.batches.find()

        demo_localfw.clock.advance(LAST_END_S)
        services.watcher.tick()
        services.watcher.tick()
    finally:
        services.workers.shutdown()

    printed = out.getvalue()
    failed = jobs_by_state(demo_localfw, batch.id)["failed"]
    assert printed.count(f"[{batch.id}] finished") == 1
    assert f"{len(failed):,} failed:" in printed
    assert f"Retry the failed: `/fw retry {batch.id}`" in printed
    csv_path = tmp_path / "exports" / f"{batch.id}-failed-sessions.csv"
    assert f"every failed session: {csv_path}" in printed
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    assert {(r["subject"], r["session"]) for r in rows} == labels(demo_localfw, failed)
