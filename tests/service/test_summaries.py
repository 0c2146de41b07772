"""The summary and the stuck alert are posted once: claimed, posted (each part recorded as
it goes), told to ``BatchEvents``, marked. On SQLite and PostgreSQL, over an in-memory
gateway and a notifier that records what it was asked to post."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import BatchState, JobRecord, JobState, TargetState, batch_tag
from bot.domain.delivery import NOT_DELIVERED, Channel, Delivery, Posted
from bot.service.launch import reporting
from bot.service.launch.progress import BatchView, StuckReport
from bot.service.launch.reporting import BatchReporter
from bot.service.launch.stuck import StuckRule, StuckWatch
from bot.service.launch.summary import SummaryPoster
from bot.service.notify import ChannelGone
from bot.store.db import Store
from bot.store.models import utcnow
from bot.store.repo import TargetUpdate
from tests.fakes import FakeFlywheelGateway
from tests.store.factories import spec, targets

T0 = datetime(2024, 5, 14, 10, 0, tzinfo=UTC)


@dataclass
class Notifier:
    """A ``BatchNotifier`` that records the posts; ``refuse`` makes them not get through."""

    posts: list[tuple[str, str]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    gone: bool = False

    def _post(self, kind: str, batch_id: str) -> Delivery:
        if self.gone:
            raise ChannelGone("C01LAB", "not_in_channel")
        if kind in self.refuse:
            return NOT_DELIVERED
        self.posts.append((kind, batch_id))
        return Posted(f"1700000000.{len(self.posts):06d}")

    def post(self, channel: Channel, view: BatchView) -> Delivery:
        return self._post("progress", view.batch.id)

    def update(self, channel: Channel, ts: str, view: BatchView) -> bool:
        return True

    def post_failures(self, channel: Channel, thread: str | None, view: BatchView) -> None:
        return None

    def post_summary(self, channel: Channel, thread: str | None, view: BatchView) -> Delivery:
        return self._post("summary", view.batch.id)

    def share_failures(self, channel: Channel, thread: str | None, view: BatchView) -> bool:
        return isinstance(self._post("csv", view.batch.id), Posted)

    def post_stuck(
        self, channel: Channel, thread: str | None, view: BatchView, report: StuckReport
    ) -> Delivery:
        return self._post("stuck", view.batch.id)

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.posts]


@dataclass
class Events:
    ended: list[str] = field(default_factory=list)
    stuck: list[tuple[str, list[str]]] = field(default_factory=list)

    def batch_ended(self, view: BatchView) -> None:
        self.ended.append(view.batch.id)

    def batch_stuck(self, view: BatchView, stuck_sessions: Sequence[str]) -> None:
        self.stuck.append((view.batch.id, list(stuck_sessions)))


@dataclass
class Bot:
    """One process: its reporter, summaries and stuck watch, under its own owner name."""

    reporter: BatchReporter
    summaries: SummaryPoster
    stuck: StuckWatch


def bot(
    store: Store, gateway: FakeFlywheelGateway, notifier: Notifier, events: Events, owner: str
) -> Bot:
    reporter = BatchReporter(
        gateway,
        store.batches,
        store.messages,
        notifier,
        clock=lambda: T0 + timedelta(hours=13),
    )
    return Bot(
        reporter,
        SummaryPoster(reporter, store.batches, events, owner),
        StuckWatch(reporter, store.post_claims, events, owner, StuckRule().after),
    )


def launched_batch(
    store: Store, gateway: FakeFlywheelGateway, states: Sequence[JobState], final: bool = True
) -> str:
    """A batch whose sessions were launched; its jobs in Flywheel are in ``states``."""
    batch, _ = store.batches.create_or_get(spec(), targets(len(states)))
    store.batches.transition(batch.id, BatchState.LAUNCHING)
    rows = store.batches.targets(batch.id)
    store.batches.update_targets(
        [TargetUpdate(t.id, state=TargetState.LAUNCHED, job_id=f"j{i}") for i, t in enumerate(rows)]
    )
    store.batches.transition(batch.id, BatchState.LAUNCHED)
    for i, (target, state) in enumerate(zip(rows, states, strict=True)):
        gateway.jobs.append(
            JobRecord(
                job_id=f"j{i}",
                state=state,
                gear_name="qsiprep-hpc",
                gear_version="1.0.4",
                session_id=target.session_id,
                tags=[batch_tag(batch.id)],
                failure_reason="gear_failure" if state is JobState.FAILED else None,
                created=T0,
                transitions={state.value: T0 + timedelta(hours=2)},
            )
        )
    if final:
        store.batches.transition(batch.id, BatchState.COMPLETE)
    return batch.id


@pytest.fixture
def gateway() -> FakeFlywheelGateway:
    return FakeFlywheelGateway()


def test_a_summary_is_posted_once_and_told_once_whoever_runs_the_pass(
    store: Store, gateway: FakeFlywheelGateway
) -> None:
    batch_id = launched_batch(store, gateway, [JobState.COMPLETE, JobState.FAILED])
    notifier, events = Notifier(), Events()
    a, b = (bot(store, gateway, notifier, events, owner) for owner in "ab")

    assert a.summaries.post_due() == 1
    assert b.summaries.post_due() == 0
    assert a.summaries.post_due() == 0

    assert notifier.kinds() == ["progress", "summary", "csv"]
    assert events.ended == [batch_id]
    assert store.batches.get_existing(batch_id).summary_posted_at is not None


def test_a_process_lets_go_of_a_batch_once_its_summary_is_settled(
    store: Store, gateway: FakeFlywheelGateway
) -> None:
    """Nothing kept per batch for the process's life: its message's last view is forgotten
    when it ends, and its lock exists only while a post about it is being made."""
    launched_batch(store, gateway, [JobState.COMPLETE, JobState.FAILED])
    a = bot(store, gateway, Notifier(), Events(), "a")

    assert a.summaries.post_due() == 1

    assert dict(a.reporter._shown) == {} and len(a.reporter._locks) == 0


def test_what_a_process_remembers_of_batches_summarized_elsewhere_is_bounded(
    store: Store, gateway: FakeFlywheelGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reporting, "REMEMBERED", 2)
    batches = [store.batches.create_or_get(spec(key_extra=str(n)), targets(1))[0] for n in "abc"]
    a = bot(store, gateway, Notifier(), Events(), "a")

    for batch in batches:
        a.reporter.publish(batch.id, BatchView(batch, targets=1, launched=0, launch_failed=0))

    assert list(a.reporter._shown) == [b.id for b in batches[1:]]  # the oldest forgotten


def test_a_bot_that_died_after_posting_is_taken_over_without_a_second_post(
    store: Store, gateway: FakeFlywheelGateway
) -> None:
    batch_id = launched_batch(store, gateway, [JobState.COMPLETE, JobState.FAILED])
    notifier, events = Notifier(), Events()
    dead = bot(store, gateway, notifier, events, "dead")
    # the dead bot claimed the batch 20 minutes ago, posted, and died before marking it
    [claimed] = store.batches.claim_batches_needing_summary(
        5, "dead", now=utcnow() - timedelta(minutes=20)
    )
    assert dead.reporter.post_summary(dead.reporter.view(claimed.id))
    posted = notifier.kinds()

    assert bot(store, gateway, notifier, events, "next").summaries.post_due() == 1

    assert notifier.kinds() == posted  # nothing posted twice
    assert events.ended == [batch_id]
    assert store.batches.get_existing(batch_id).summary_posted_at is not None


def test_a_summary_slack_refused_is_posted_on_a_later_pass(
    store: Store, gateway: FakeFlywheelGateway
) -> None:
    batch_id = launched_batch(store, gateway, [JobState.COMPLETE])
    notifier, events = Notifier(refuse={"summary"}), Events()
    a = bot(store, gateway, notifier, events, "a")

    assert a.summaries.post_due() == 0
    assert events.ended == []
    assert store.batches.get_existing(batch_id).summary_posted_at is None

    notifier.refuse.clear()
    assert a.summaries.post_due() == 1
    assert notifier.kinds().count("summary") == 1 and events.ended == [batch_id]


def test_a_gone_channel_settles_the_summary_and_subscribers_still_hear_of_it(
    store: Store, gateway: FakeFlywheelGateway
) -> None:
    batch_id = launched_batch(store, gateway, [JobState.COMPLETE])
    notifier, events = Notifier(gone=True), Events()

    assert bot(store, gateway, notifier, events, "a").summaries.post_due() == 1

    assert notifier.posts == []
    assert events.ended == [batch_id]


def test_a_plan_dropped_before_launch_is_settled_without_a_summary(
    store: Store, gateway: FakeFlywheelGateway
) -> None:
    batch, _ = store.batches.create_or_get(spec(), targets(3))
    store.batches.transition(batch.id, BatchState.CANCELLED)
    notifier, events = Notifier(), Events()

    assert bot(store, gateway, notifier, events, "a").summaries.post_due() == 1

    assert notifier.posts == [] and events.ended == []
    assert gateway.calls == []  # not even a question to Flywheel
    assert store.batches.get_existing(batch.id).summary_posted_at is not None


def test_a_batch_that_ended_with_jobs_still_running_waits_for_them(
    store: Store, gateway: FakeFlywheelGateway
) -> None:
    batch_id = launched_batch(store, gateway, [JobState.CANCELLED, JobState.RUNNING])
    notifier, events = Notifier(), Events()
    a = bot(store, gateway, notifier, events, "a")

    assert a.summaries.post_due() == 0
    assert "summary" not in notifier.kinds()

    gateway.jobs[1] = gateway.jobs[1].model_copy(update={"state": JobState.COMPLETE})
    assert a.summaries.post_due() == 1
    assert notifier.kinds().count("summary") == 1 and events.ended == [batch_id]


def test_the_stuck_alert_is_posted_once_across_bots_and_told_once(
    store: Store, gateway: FakeFlywheelGateway
) -> None:
    batch_id = launched_batch(
        store, gateway, [JobState.RUNNING, JobState.PENDING, JobState.COMPLETE], final=False
    )
    # jobs queued at T0, read at T0 + 13 h: over the default 12 h
    notifier, events = Notifier(), Events()
    bots = [bot(store, gateway, notifier, events, owner) for owner in "abc"]

    alerted = [b.stuck.check(b.reporter.view(batch_id)) for b in bots]

    assert sum(report is not None for report in alerted) == 1
    assert notifier.kinds().count("stuck") == 1
    [(stuck_batch, sessions)] = events.stuck
    assert stuck_batch == batch_id and sorted(sessions) == ["sub0 ses0", "sub1 ses1"]


def test_no_alert_while_jobs_are_within_their_gears_time(
    store: Store, gateway: FakeFlywheelGateway
) -> None:
    batch_id = launched_batch(store, gateway, [JobState.RUNNING], final=False)
    notifier, events = Notifier(), Events()
    patient = bot(store, gateway, notifier, events, "a")
    patient.stuck = StuckWatch(
        patient.reporter,
        store.post_claims,
        events,
        "a",
        StuckRule(by_gear={"qsiprep": timedelta(hours=18)}).after,
    )

    assert patient.stuck.check(patient.reporter.view(batch_id)) is None
    assert notifier.kinds() == [] and events.stuck == []


def test_a_gears_own_limit_wins_over_the_default() -> None:
    rule = StuckRule(
        default=timedelta(hours=12),
        by_gear={"fmriprep": timedelta(hours=18), "fmriprep-hpc": timedelta(hours=30)},
    )

    assert rule.after("fmriprep-hpc") == timedelta(hours=30)
    assert rule.after("fmriprep-fwheudiconv") == timedelta(hours=18)
    assert rule.after("qsiprep-hpc") == timedelta(hours=12)
