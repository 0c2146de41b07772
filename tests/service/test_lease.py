"""The launch lease on the launcher's own clock: renewed when due, lost for good once
another process holds it (the run then stops at its next step)."""

from __future__ import annotations

from bot.domain import BatchState
from bot.service.launch.lease import Lease
from bot.store import Store
from bot.store.models import BatchRow
from tests.store.factories import spec, targets


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def launching(store: Store) -> str:
    batch, _ = store.batches.create_or_get(spec(), targets(2))
    store.batches.transition(batch.id, BatchState.LAUNCHING)
    return batch.id


def heartbeat(store: Store, batch_id: str) -> object:
    with store.reading() as s:
        row = s.get(BatchRow, batch_id)
        assert row is not None
        return row.launch_heartbeat


def test_the_lease_renews_only_when_a_renewal_is_due(sqlite_store: Store) -> None:
    batch_id = launching(sqlite_store)
    clock = Clock()
    lease = Lease(sqlite_store.batches, batch_id, "replica-a", renew_every=5.0, clock=clock)

    assert lease.claim()
    first = heartbeat(sqlite_store, batch_id)
    clock.now += 4.9
    assert lease.held()
    assert heartbeat(sqlite_store, batch_id) == first  # not due: the store is not written
    clock.now += 0.2
    assert lease.held()
    assert heartbeat(sqlite_store, batch_id) != first  # renewed


def test_a_lease_another_process_took_stays_lost(sqlite_store: Store) -> None:
    batch_id = launching(sqlite_store)
    clock = Clock()
    lease = Lease(sqlite_store.batches, batch_id, "replica-a", renew_every=5.0, clock=clock)
    assert lease.claim()
    lease.release()  # as if it had lapsed: another replica takes the launch over
    assert sqlite_store.batches.claim_launch(batch_id, "replica-b")

    clock.now += 5.0
    assert not lease.held() and lease.lost
    sqlite_store.batches.release_launch(batch_id, "replica-b")
    clock.now += 5.0
    assert not lease.held()  # lost for good: this run stops, a later run claims anew


def test_a_second_claimer_learns_how_long_the_holder_has_left(sqlite_store: Store) -> None:
    batch_id = launching(sqlite_store)
    holder = Lease(sqlite_store.batches, batch_id, "replica-a", renew_every=5.0, clock=Clock())
    other = Lease(sqlite_store.batches, batch_id, "replica-b", renew_every=5.0, clock=Clock())

    assert holder.claim()
    assert not other.claim()
    left = other.seconds_left_elsewhere()
    assert left is not None and 0 < left <= 25
