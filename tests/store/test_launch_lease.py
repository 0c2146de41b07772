"""One launcher per batch: the launch lease, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import BatchState
from bot.store import Store
from tests.store.factories import spec, targets

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def launching(store: Store) -> str:
    batch, _ = store.batches.create_or_get(spec(), targets(3))
    store.batches.transition(batch.id, BatchState.LAUNCHING)
    return batch.id


def test_one_owner_at_a_time_until_released(store: Store) -> None:
    batch_id = launching(store)

    assert store.batches.claim_launch(batch_id, "replica-a", now=T0)
    assert not store.batches.claim_launch(batch_id, "replica-b", now=T0 + timedelta(seconds=5))
    assert store.batches.claim_launch(batch_id, "replica-a", now=T0 + timedelta(seconds=5))  # renew

    store.batches.release_launch(batch_id, "replica-b")  # not the holder: no effect
    assert not store.batches.claim_launch(batch_id, "replica-b", now=T0 + timedelta(seconds=6))
    store.batches.release_launch(batch_id, "replica-a")
    assert store.batches.claim_launch(batch_id, "replica-b", now=T0 + timedelta(seconds=7))


def test_a_silent_holder_loses_the_lease_within_30_seconds(store: Store) -> None:
    """A live launcher beats every 5 s; one silent for 25 s is dead (kill -9): a restarted
    bot, or another replica, takes its launches over in under 30 s."""
    batch_id = launching(store)
    assert store.batches.claim_launch(batch_id, "crashed", now=T0)

    assert not store.batches.claim_launch(batch_id, "other", now=T0 + timedelta(seconds=20))
    assert store.batches.claim_launch(batch_id, "other", now=T0 + timedelta(seconds=26))
    assert not store.batches.claim_launch(batch_id, "crashed", now=T0 + timedelta(seconds=27))


def test_only_launching_batches_can_be_claimed(store: Store) -> None:
    batch, _ = store.batches.create_or_get(spec(), targets(2))

    assert not store.batches.claim_launch(batch.id, "replica-a", now=T0)  # still planned
