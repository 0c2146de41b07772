"""Several replicas against one PostgreSQL: `FOR UPDATE SKIP LOCKED` claims."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.polling import PATIENCE
from bot.domain import Batch
from bot.store import Store
from tests.store.factories import final_batch

pytestmark = pytest.mark.postgres


def claim_elsewhere(store: Store, limit: int, owner: str) -> list[Batch]:
    """Claim from another thread, hence another session and connection.

    Without SKIP LOCKED this would block on the rows the caller holds; the
    timeout turns that deadlock into a failure instead of a hung run.
    """
    pool = ThreadPoolExecutor(1)
    try:
        future = pool.submit(store.batches.claim_batches_needing_summary, limit, owner)
        return future.result(timeout=PATIENCE)
    finally:
        pool.shutdown(wait=False)


def test_second_replica_gets_nothing_while_first_holds_the_rows(pg_store: Store) -> None:
    final_batch(pg_store, "one")
    final_batch(pg_store, "two")
    with pg_store.session():  # replica A's transaction stays open
        mine = pg_store.batches.claim_batches_needing_summary(10, "a")
        assert len(mine) == 2
        assert claim_elsewhere(pg_store, 10, "b") == []
    assert pg_store.batches.claim_batches_needing_summary(10, "c") == []


def test_replicas_claim_disjoint_rows(pg_store: Store) -> None:
    one = final_batch(pg_store, "one")
    two = final_batch(pg_store, "two")
    with pg_store.session():
        mine = pg_store.batches.claim_batches_needing_summary(1, "a")
        theirs = claim_elsewhere(pg_store, 10, "b")
    assert len(mine) == 1 and len(theirs) == 1
    assert {mine[0].id, theirs[0].id} == {one.id, two.id}


def test_rows_come_back_when_the_holder_rolls_back(pg_store: Store) -> None:
    batch = final_batch(pg_store, "one")
    with pytest.raises(RuntimeError), pg_store.session():
        assert pg_store.batches.claim_batches_needing_summary(10, "a")
        raise RuntimeError("replica A crashed before committing")
    assert [b.id for b in claim_elsewhere(pg_store, 10, "b")] == [batch.id]
