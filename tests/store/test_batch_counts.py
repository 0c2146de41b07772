"""What `/metrics` reads from the store: batches by state in one query, and a ping."""

from __future__ import annotations

from bot.domain import BatchState
from bot.store import Store
from tests.store.factories import final_batch, spec, targets


def test_batches_are_counted_by_state_every_state_listed(store: Store) -> None:
    assert store.batches.count_by_state() == {state: 0 for state in BatchState}

    store.batches.create_or_get(spec(analysis_label="a", key_extra="a"), targets(2))
    store.batches.create_or_get(spec(analysis_label="b", key_extra="b"), targets(3))
    final_batch(store, "c", BatchState.COMPLETE)
    final_batch(store, "d", BatchState.FAILED)

    counts = store.batches.count_by_state()
    assert counts[BatchState.PLANNED] == 2
    assert counts[BatchState.COMPLETE] == 1 and counts[BatchState.FAILED] == 1
    assert sum(counts.values()) == 4 and set(counts) == set(BatchState)


def test_ping_answers_while_the_database_does(store: Store) -> None:
    store.ping()  # raises when it cannot reach the database
