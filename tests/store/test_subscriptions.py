"""Channel subscriptions."""

from __future__ import annotations

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from bot.store import Store
from bot.store.models import SubscriptionRow, utcnow


def test_one_subscription_per_channel_project_gear(store: Store) -> None:
    subs = store.subscriptions
    first = subs.subscribe(channel="C1", project_label="p1", created_by="ada@lab.org")
    again = subs.subscribe(
        channel="C1",
        project_label="p1",
        created_by="bo@lab.org",
        events=["done", "digest"],
        digest_time="08:30",
    )
    assert again.id == first.id
    assert again.events == ("done", "digest") and again.digest_time == "08:30"
    assert again.created_by == "ada@lab.org"  # the original subscriber stays on record
    qsi = subs.subscribe(channel="C1", project_label="p1", gear="qsiprep-hpc", created_by="a")
    other = subs.subscribe(channel="C2", project_label="p1", created_by="a")
    assert len({first.id, qsi.id, other.id}) == 3
    assert [(s.project_label, s.gear) for s in subs.for_channel("C1")] == [
        ("p1", None),
        ("p1", "qsiprep-hpc"),
    ]


def test_database_enforces_uniqueness_for_all_gears(store: Store) -> None:
    store.subscriptions.subscribe(channel="C1", project_label="p1", created_by="a")
    row = {
        "channel": "C1",
        "project_label": "p1",
        "gear": "",
        "events": ["done"],
        "created_by": "a",
        "created_at": utcnow(),
    }
    with pytest.raises(IntegrityError), store.session() as s:
        s.execute(insert(SubscriptionRow).values(**row))
    assert len(store.subscriptions.for_channel("C1")) == 1


def test_matching_includes_all_gear_subscriptions_and_filters_events(store: Store) -> None:
    subs = store.subscriptions
    subs.subscribe(channel="C1", project_label="p1", created_by="a", events=["failed"])
    subs.subscribe(channel="C2", project_label="p1", gear="qsiprep-hpc", created_by="a")
    subs.subscribe(channel="C3", project_label="p1", gear="fmriprep", created_by="a")
    subs.subscribe(channel="C4", project_label="p2", created_by="a")
    assert [s.channel for s in subs.matching("p1", "qsiprep-hpc")] == ["C1", "C2"]
    assert [s.channel for s in subs.matching("p1", "qsiprep-hpc", "done")] == ["C2"]


def test_unsubscribe(store: Store) -> None:
    store.subscriptions.subscribe(channel="C1", project_label="p1", gear="g", created_by="a")
    assert store.subscriptions.unsubscribe(channel="C1", project_label="p1") is False
    assert store.subscriptions.unsubscribe(channel="C1", project_label="p1", gear="g") is True
    assert store.subscriptions.for_channel("C1") == []


@pytest.mark.parametrize(
    ("events", "digest_time"),
    [([], None), (["done", "weekly"], None), (["digest"], "25:00"), (["digest"], "8:30")],
)
def test_bad_events_or_time_are_refused(
    store: Store, events: list[str], digest_time: str | None
) -> None:
    with pytest.raises(ValueError):
        store.subscriptions.subscribe(
            channel="C1", project_label="p1", created_by="a", events=events, digest_time=digest_time
        )
    assert store.subscriptions.for_channel("C1") == []


def test_time_zone_and_stuck_are_kept_and_a_bad_zone_refused(store: Store) -> None:
    sub = store.subscriptions.subscribe(
        channel="C1",
        project_label="p1",
        created_by="a",
        events=["stuck", "digest"],
        digest_time="08:30",
        timezone="Europe/Paris",
    )
    assert (sub.events, sub.timezone) == (("stuck", "digest"), "Europe/Paris")
    assert store.subscriptions.get(sub.id) == sub
    with pytest.raises(ValueError):
        store.subscriptions.subscribe(
            channel="C1", project_label="p1", created_by="a", timezone="Mars/Olympus"
        )


def test_a_paused_channel_is_left_out_until_subscribed_again(store: Store) -> None:
    subs = store.subscriptions
    subs.subscribe(channel="C1", project_label="p1", created_by="a")
    subs.subscribe(channel="C1", project_label="p1", gear="g", created_by="a")
    subs.subscribe(channel="C2", project_label="p1", created_by="a")

    assert subs.pause_channel("C1", "not_in_channel") == 2
    assert subs.pause_channel("C1", "not_in_channel") == 0  # already paused: said once

    assert [s.channel for s in subs.matching("p1", "g")] == ["C2"]
    assert [s.channel for s in subs.active()] == ["C2"]
    assert [(s.paused, s.paused_reason) for s in subs.for_channel("C1")] == [
        (True, "not_in_channel"),
        (True, "not_in_channel"),
    ]
    subs.subscribe(channel="C1", project_label="p1", gear="g", created_by="b")
    assert [(s.gear, s.paused) for s in subs.for_channel("C1")] == [(None, True), ("g", False)]
