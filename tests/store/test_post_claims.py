"""Each scheduled post is claimed once across replicas (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

from bot.store import Store
from bot.store.models import utcnow


def test_of_replicas_racing_for_a_post_exactly_one_claims_it(store: Store) -> None:
    n = 6
    barrier = threading.Barrier(n)
    won: list[str] = []

    def replica(i: int) -> None:
        barrier.wait()
        if store.post_claims.claim("digest:1:2026-11-30", f"replica-{i}"):
            won.append(f"replica-{i}")

    threads = [threading.Thread(target=replica, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1


def test_a_posted_claim_is_never_taken_again_and_a_dead_owners_is(store: Store) -> None:
    later = utcnow() + timedelta(hours=1)
    assert store.post_claims.claim("stuck:b1", "a")
    store.post_claims.posted("stuck:b1", "a")
    assert store.post_claims.was_posted("stuck:b1")
    assert not store.post_claims.claim("stuck:b1", "b", now=later)

    assert store.post_claims.claim("stuck:b2", "a")  # a dies before posting
    assert not store.post_claims.claim("stuck:b2", "b")  # still within a's lease
    assert store.post_claims.claim("stuck:b2", "b", now=later)
    assert not store.post_claims.was_posted("stuck:b2")


def test_a_released_claim_can_be_made_again(store: Store) -> None:
    assert store.post_claims.claim("summary:b3", "a")
    store.post_claims.release("summary:b3", "a")
    assert store.post_claims.claim("summary:b3", "b")
