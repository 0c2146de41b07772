"""A batch's life (bot/domain/batch_life.py) decides; the store applies each change with
one compare-and-set on the phase it leaves. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bot.domain import BatchState, IllegalTransition
from bot.domain.batch_life import LIFE, BatchLife, Event, Phase, Refusal, legal_in_the_store
from bot.errors import Conflict
from bot.store import Store
from tests.store.factories import spec, targets

ADA = "ada@lab.org"  # the requester in tests.store.factories
BOB = "bob@lab.org"


def test_every_move_of_the_life_is_a_move_the_stored_state_allows() -> None:
    moves = [(came, to) for came, tos in LIFE.items() for to in tos]
    assert all(legal_in_the_store(came, to) for came, to in moves)
    assert LIFE[Phase.STOPPING] == {Phase.CANCELLED}  # a stopping launch never ends launched


def test_only_the_requester_confirms_and_a_repeat_loses_the_compare_and_set(store: Store) -> None:
    batch, _ = store.batches.create_or_get(spec(), targets(2))
    life = BatchLife(batch)

    with pytest.raises(Refusal) as refused:
        life.confirm(BOB)
    assert refused.value.reason == "not the requester"
    change = life.confirm(ADA.upper())  # emails compare without case
    assert (change.came_from, change.to) == (Phase.PLANNED, Phase.LAUNCHING)
    assert [e.kind for e in change.events] == [Event.CONFIRMED]

    assert store.batches.apply(change).state is BatchState.LAUNCHING
    with pytest.raises(IllegalTransition):
        store.batches.apply(change)  # a second click computed from the same plan


def test_approval_is_someone_elses_and_is_recorded(store: Store) -> None:
    batch, _ = store.batches.create_or_get(
        spec(state=BatchState.AWAITING_APPROVAL), targets(2)
    )
    life = BatchLife(batch)

    with pytest.raises(Conflict, match="waiting for a project admin"):
        life.confirm(ADA)
    with pytest.raises(Refusal, match="someone else must approve"):
        life.approve(ADA)
    approved = store.batches.apply(life.approve(BOB))
    assert approved.state is BatchState.LAUNCHING and approved.approver_email == BOB


def test_a_cancel_request_makes_the_launch_stopping_and_beats_a_stale_finish(
    store: Store,
) -> None:
    batch, _ = store.batches.create_or_get(spec(), targets(2))
    launching = store.batches.apply(BatchLife(batch).confirm(ADA))
    stale_finish = BatchLife(launching).finish(launched_targets=2)  # computed first

    request = BatchLife(launching).request_cancel(BOB)
    assert request is not None
    stopping = store.batches.apply(request)
    assert BatchLife(stopping).phase is Phase.STOPPING
    assert stopping.cancel_requested_by == BOB
    assert BatchLife(stopping).request_cancel(ADA) is None  # asked already: the first stands
    with pytest.raises(IllegalTransition):
        store.batches.apply(stale_finish)  # the cancel won: it never ends launched
    with pytest.raises(IllegalTransition):
        BatchLife(stopping).finish(launched_targets=2)

    ended = store.batches.apply(BatchLife(stopping).stop())
    assert ended.state is BatchState.CANCELLED and ended.finished_at is not None


def test_only_a_plan_can_be_dropped(store: Store) -> None:
    batch, _ = store.batches.create_or_get(spec(), targets(1))
    dropped = store.batches.apply(BatchLife(batch).drop(ADA))
    assert dropped.state is BatchState.CANCELLED
    with pytest.raises(Conflict, match="only a batch not yet launched"):
        BatchLife(dropped).drop(ADA)
