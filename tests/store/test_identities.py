"""Slack user -> Flywheel user cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.store import Store

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_get_fresh_honours_the_ttl(store: Store) -> None:
    store.identities.put(
        "U1",
        email="ada@lab.org",
        flywheel_user_id="ada@lab.org",
        display_name="Ada",
        resolved_at=NOW - timedelta(minutes=90),
    )
    assert store.identities.get_fresh("U1", timedelta(hours=1), now=NOW) is None
    fresh = store.identities.get_fresh("U1", timedelta(hours=2), now=NOW)
    assert fresh is not None and fresh.email == "ada@lab.org" and fresh.display_name == "Ada"
    assert fresh.resolved_at == NOW - timedelta(minutes=90)
    assert store.identities.get_fresh("U404", timedelta(days=1), now=NOW) is None


def test_put_refreshes_the_entry(store: Store) -> None:
    store.identities.put(
        "U1", email="old@lab.org", flywheel_user_id=None, resolved_at=NOW - timedelta(days=3)
    )
    again = store.identities.put(
        "U1",
        email="ada@lab.org",
        flywheel_user_id="ada@lab.org",
        display_name="Ada",
        resolved_at=NOW,
    )
    assert again.email == "ada@lab.org" and again.flywheel_user_id == "ada@lab.org"
    assert store.identities.get_fresh("U1", timedelta(minutes=5), now=NOW) == again


def test_default_resolution_time_is_now(store: Store) -> None:
    store.identities.put("U2", email="bo@lab.org", flywheel_user_id="bo@lab.org")
    assert store.identities.get_fresh("U2", timedelta(minutes=5)) is not None


def test_forget(store: Store) -> None:
    store.identities.put("U1", email="ada@lab.org", flywheel_user_id=None)
    assert store.identities.forget("U1") is True
    assert store.identities.get("U1") is None
    assert store.identities.forget("U1") is False
