"""The subscription messages, snapshotted whole (``subscriptions/<case>.json``): the
command replies, the event posts and the daily digest, as a phone shows them (headline
first, counts before lists, a text fallback) and within Block Kit's limits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.service.subscriptions.ports import (
    Digest,
    DigestGear,
    EventNotice,
    FailedRun,
    Subscribed,
    SubscriptionList,
    SubscriptionView,
)
from commands.render import subscriptions as render
from commands.render.blocks import MAX_BLOCKS, MAX_SECTION_TEXT
from commands.reply import Reply
from tests.snapshots.helper import assert_matches_snapshot

AT = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)
SUB = SubscriptionView(
    id=3,
    channel="C0LAB",
    project_label="gear_testing",
    gear=None,
    events=("done", "failed", "digest"),
    digest_time="08:30",
    timezone="Europe/Paris",
    created_by="analyst@pennlinc.example",
)
QSI_ONLY = SubscriptionView(
    id=4,
    channel="C0LAB",
    project_label="gear_testing",
    gear="qsiprep-hpc",
    events=("stuck",),
    digest_time=None,
    timezone="UTC",
    created_by="admin@pennlinc.example",
    paused=True,
    paused_reason="not_in_channel",
)


def failure(i: int) -> FailedRun:
    return FailedRun(
        gear_name="qsiprep-hpc",
        gear_version="0.4.0_0.8.0",
        subject_label=f"sub-{80000 + i:06d}",
        session_label="ses-PNC1",
        reason="gear failure: out of memory",
        launched_by="analyst@pennlinc.example",
        batch="b7k2q",
        ended=AT,
        analysis_id=f"{i:024x}",
    )


FAILED = EventNotice(
    kind="failed",
    project_label="gear_testing",
    gear_name="qsiprep-hpc",
    gear_version="0.4.0_0.8.0",
    batch_id="b7k2q",
    launched_by="analyst@pennlinc.example",
    launched_at=AT,
    total=1329,
    complete=1222,
    failed=107,
    cancelled=0,
    active=0,
    failures=tuple(failure(i) for i in range(5)),
)
OUTSIDE_DONE = EventNotice(
    kind="done",
    project_label="gear_testing",
    gear_name="fmriprep-hpc",
    gear_version="20.2.3",
    batch_id=None,
    launched_by="viewer@pennlinc.example",
    launched_at=AT,
    total=40,
    complete=38,
    failed=0,
    cancelled=2,
    active=0,
    outside=True,
)
STUCK = EventNotice(
    kind="stuck",
    project_label="gear_testing",
    gear_name="qsiprep-hpc",
    gear_version="0.4.0_0.8.0",
    batch_id=None,
    launched_by="analyst@pennlinc.example",
    launched_at=AT,
    total=12,
    complete=9,
    failed=0,
    cancelled=0,
    active=3,
    stuck_sessions=("sub-080010 ses-PNC1", "sub-080011 ses-PNC2", "sub-080012 ses-PNC1"),
    outside=True,
    flywheel_batch="6571a0b2c3d4e5f6a7b8c9d0",
)
DIGEST = Digest(
    subscription_id=3,
    project_label="gear_testing",
    gear=None,
    local_date=date(2026, 11, 30),
    timezone="Europe/Paris",
    window_start=datetime(2026, 11, 29, 7, 30, tzinfo=UTC),
    window_end=datetime(2026, 11, 30, 7, 30, tzinfo=UTC),
    gears=(
        DigestGear("fmriprep-hpc", launched=40, complete=38, failed=0, pending=0),
        DigestGear("qsiprep-hpc", launched=1329, complete=1222, failed=107, pending=12, stuck=3),
    ),
    failures=tuple(failure(i) for i in range(107)),
)

CASES: dict[str, Callable[[], Reply]] = {
    "subscribed": lambda: render.subscribed(Subscribed(SUB, updated=False)),
    "subscription_list": lambda: render.subscription_list(
        SubscriptionList("C0LAB", (SUB, QSI_ONLY), hidden=1)
    ),
    "event_failed": lambda: render.event(FAILED),
    "event_done_outside": lambda: render.event(OUTSIDE_DONE),
    "event_stuck": lambda: render.event(STUCK),
    "digest": lambda: render.digest(DIGEST),
}


def message(reply: Reply) -> dict[str, Any]:
    return {
        "text": reply.text,
        "ephemeral": reply.ephemeral,
        "blocks": reply.blocks,
        "console": reply.console_text().split("\n"),
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_message_matches_its_snapshot(name: str) -> None:
    reply = CASES[name]()
    assert reply.text and len(reply.blocks) <= MAX_BLOCKS
    for block in reply.blocks:
        assert len(block.get("text", {}).get("text", "")) <= MAX_SECTION_TEXT
    assert_matches_snapshot(f"subscriptions/{name}", message(reply))


def test_posts_lead_with_the_headline_a_phone_shows() -> None:
    """The fallback (the notification) is the headline: what, where, counts."""
    assert render.event(FAILED).text == (
        "❌ qsiprep-hpc on gear_testing: 1,222 complete, 107 failed (b7k2q)"
    )
    assert render.digest(DIGEST).text.startswith(
        "📋 gear_testing, last 24 h: 1,369 launched, 1,260 complete, 107 failed, 12 pending"
    )


def test_the_failures_csv_has_every_failure() -> None:
    lines = render.failures_csv(DIGEST).decode().splitlines()
    assert lines[0] == ",".join(render.CSV_COLUMNS) and len(lines) == 1 + 107
    assert render.failures_filename(DIGEST) == "failures-gear_testing-2026-11-30.csv"
