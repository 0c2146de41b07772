"""What a launch under way learns from the store, on SQLite and PostgreSQL: a cancel
request (and that it and the launch's end cannot both win), and a batch-API proposal's
intent (written before the proposal is made)."""

from __future__ import annotations

import pytest

from bot.domain import Batch, BatchState, IllegalTransition, LaunchMode, TargetState
from bot.errors import NotFound
from bot.store import Store, TargetUpdate
from tests.store.factories import spec, targets


def launching(store: Store, name: str = "a") -> Batch:
    batch, _ = store.batches.create_or_get(spec(analysis_label=name, key_extra=name), targets(3))
    return store.batches.transition(batch.id, BatchState.LAUNCHING)


def test_a_cancel_is_recorded_only_while_launching_and_the_first_asker_is_kept(
    store: Store,
) -> None:
    planned, _ = store.batches.create_or_get(spec(key_extra="plan"), targets(1))
    batch = launching(store)

    assert store.batches.request_cancel(batch.id, "ada@lab.org")
    assert store.batches.request_cancel(batch.id, "bob@lab.org")  # already asked: still true
    assert not store.batches.request_cancel(planned.id, "ada@lab.org")  # not launching

    got = store.batches.get_existing(batch.id)
    assert got.cancel_requested_by == "ada@lab.org" and got.cancel_requested_at is not None
    assert store.batches.cancel_requested_by(batch.id) == "ada@lab.org"
    assert store.batches.cancel_requested_by(planned.id) is None
    with pytest.raises(NotFound):
        store.batches.request_cancel("bnope", "ada@lab.org")


def test_the_end_of_a_launch_and_a_cancel_cannot_both_win(store: Store) -> None:
    cancelled_first = launching(store, "first")
    store.batches.request_cancel(cancelled_first.id, "ada@lab.org")
    assert store.batches.finish_launch(cancelled_first.id, BatchState.LAUNCHED) is None
    assert store.batches.get_existing(cancelled_first.id).state is BatchState.LAUNCHING

    finished_first = launching(store, "second")
    done = store.batches.finish_launch(finished_first.id, BatchState.LAUNCHED)
    assert done is not None and done.state is BatchState.LAUNCHED and done.launched_at
    assert not store.batches.request_cancel(finished_first.id, "ada@lab.org")
    with pytest.raises(IllegalTransition):
        store.batches.finish_launch(finished_first.id, BatchState.FAILED)


def test_a_launch_stopped_by_a_cancel_ends_cancelled_with_its_sessions(store: Store) -> None:
    """Sessions kept from launching are a target state of their own (migration 0005)."""
    batch = launching(store)
    [first, *rest] = store.batches.targets(batch.id)
    store.batches.update_targets(
        [TargetUpdate(first.id, state=TargetState.LAUNCHED, job_id="job1")]
        + [TargetUpdate(t.id, state=TargetState.CANCELLED, error="not launched") for t in rest]
    )
    store.batches.transition(batch.id, BatchState.CANCELLED)

    counts = store.batches.target_counts(batch.id)
    assert (counts[TargetState.LAUNCHED], counts[TargetState.CANCELLED]) == (1, 2)
    assert store.batches.get_existing(batch.id).state is BatchState.CANCELLED


def test_a_proposal_intent_stays_open_until_its_flywheel_batch_is_recorded(store: Store) -> None:
    mine, other, done = launching(store, "mine"), launching(store, "other"), launching(store, "x")
    assert not mine.proposal_intent_open and mine.proposals_before is None

    store.batches.record_proposal_intent(mine.id, ["fwold"])
    store.batches.record_proposal_intent(other.id, [])
    store.batches.record_proposal_intent(done.id, [])
    store.batches.record_launch(done.id, launch_mode=LaunchMode.BATCH_API, flywheel_batch_id="fw9")

    got = store.batches.get_existing(mine.id)
    assert got.proposal_intent_open and got.proposals_before == ("fwold",)
    assert got.launch_mode is LaunchMode.BATCH_API and got.flywheel_batch_id is None
    assert store.batches.open_proposal_intents(besides=mine.id) == [other.id]
    assert store.batches.recorded_proposals(["fw9", "fw1"]) == {"fw9"}
    assert store.batches.recorded_proposals([]) == set()

    store.batches.record_proposal_intent(other.id, None)  # Flywheel refused: nothing made
    assert store.batches.open_proposal_intents(besides=mine.id) == []
    assert store.batches.get_existing(other.id).proposals_before is None
