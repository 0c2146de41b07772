"""The audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from bot.store import Store
from bot.store.models import AuditEventRow

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def test_recent_is_newest_first_and_filters_by_project(store: Store) -> None:
    audit = store.audit
    audit.record(
        actor_email="a@lab.org",
        action="launch",
        outcome="allowed",
        project_label="p1",
        target="b2345",
        at=T0 + timedelta(minutes=2),
    )
    audit.record(
        actor_email="b@lab.org",
        action="gears.list",
        outcome="allowed",
        at=T0 + timedelta(minutes=5),
    )
    audit.record(
        actor_email="c@lab.org",
        action="cancel",
        outcome="refused",
        project_label="p1",
        target="b2345",
        reason="not the launcher",
        at=T0 + timedelta(minutes=9),
    )
    audit.record(
        actor_email="a@lab.org",
        action="launch",
        outcome="error",
        project_label="p2",
        details={"status": 502},
        at=T0,
    )

    assert [e.action for e in audit.recent()] == ["cancel", "gears.list", "launch", "launch"]
    p1 = audit.recent(project_label="p1")
    assert [(e.actor_email, e.outcome) for e in p1] == [
        ("c@lab.org", "refused"),
        ("a@lab.org", "allowed"),
    ]
    assert p1[0].reason == "not the launcher"
    assert [e.project_label for e in audit.recent(2)] == ["p1", None]
    [p2] = audit.recent(project_label="p2")
    assert p2.details == {"status": 502}
    assert p2.at == T0 and p2.at.tzinfo is not None
    mine = audit.recent(actor_email="a@lab.org")
    assert [(e.project_label, e.outcome) for e in mine] == [("p1", "allowed"), ("p2", "error")]
    quiet = audit.recent(hide_allowed=("gears.list", "cancel"))
    assert [(e.action, e.outcome) for e in quiet] == [
        ("cancel", "refused"),  # refusals always show
        ("launch", "allowed"),
        ("launch", "error"),
    ]


def test_same_instant_keeps_insertion_order(store: Store) -> None:
    for action in ("first", "second", "third"):
        store.audit.record(actor_email="a@lab.org", action=action, outcome="allowed", at=T0)
    assert [e.action for e in store.audit.recent()] == ["third", "second", "first"]


def test_default_time_is_now_in_utc(store: Store) -> None:
    before = datetime.now(UTC)
    event = store.audit.record(
        actor_email="a@lab.org", action="status", outcome="allowed", actor_slack_id="U1"
    )
    assert event.at >= before - timedelta(seconds=1)
    assert event.at.utcoffset() == timedelta(0)
    assert event.actor_slack_id == "U1" and event.target == "" and event.details == {}


def test_unknown_outcome_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="outcome"):
        store.audit.record(actor_email="a@lab.org", action="x", outcome="maybe")  # type: ignore[arg-type]
    with pytest.raises(IntegrityError), store.session() as s:  # the CHECK constraint too
        s.execute(
            insert(AuditEventRow).values(
                at=T0,
                actor_email="a",
                action="x",
                target="",
                outcome="maybe",
                reason="",
                details={},
            )
        )
    assert store.audit.recent() == []


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(Exception, match="naive"):
        store.audit.record(
            actor_email="a@lab.org", action="x", outcome="allowed", at=datetime(2025, 1, 1)
        )
