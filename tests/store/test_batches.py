"""Batches and targets, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from bot.domain import (
    ID_ALPHABET,
    TRANSITIONS,
    BatchState,
    IllegalTransition,
    LaunchMode,
    SameLaunchUnderWay,
    TargetSpec,
    TargetState,
    new_batch_id,
)
from bot.errors import NotFound
from bot.store import BatchRepo, Store, TargetUpdate
from bot.store.models import BatchRow, BatchTargetRow
from tests.store.factories import final_batch, spec, targets


def count(store: Store, model: Any) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


@contextmanager
def statements(store: Store) -> Iterator[list[tuple[str, bool]]]:
    """Record (SQL, executemany) for every cursor execution on the engine."""
    seen: list[tuple[str, bool]] = []

    def listen(_c: Any, _cur: Any, sql: str, _p: Any, _ctx: Any, many: bool) -> None:
        seen.append((sql, many))

    event.listen(store.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", listen)


def test_batch_ids_are_short_and_unambiguous() -> None:
    ids = {new_batch_id() for _ in range(200)}
    assert all(len(i) == 5 and i[0] == "b" for i in ids)
    assert all(set(i[1:]) <= set(ID_ALPHABET) for i in ids)
    assert not set(ID_ALPHABET) & set("01lio")


def test_create_records_batch_and_targets(store: Store) -> None:
    batch, created = store.batches.create_or_get(spec(skipped_count=3), targets(5))
    assert created
    assert batch.state is BatchState.PLANNED
    assert (batch.target_count, batch.skipped_count) == (5, 3)
    assert batch.config == {"hmc_model": "eddy", "output_resolution": 2.0}
    assert batch.inputs["freesurfer_license"] == {"project_file": "license.txt"}
    assert batch.created_at.tzinfo is not None and batch.created_at.utcoffset() == timedelta(0)
    got = store.batches.get_existing(batch.id)
    assert got == batch
    assert [t.session_id for t in store.batches.targets(batch.id)] == [
        f"ses-{i:05d}" for i in range(5)
    ]


def test_second_create_returns_the_same_batch(store: Store) -> None:
    first, created1 = store.batches.create_or_get(spec(), targets(4))
    # Same gear/version/config/project/target set, in another order: same batch.
    again, created2 = store.batches.create_or_get(spec(), list(reversed(targets(4))))
    assert (created1, created2) == (True, False)
    assert again.id == first.id
    assert count(store, BatchRow) == 1
    assert count(store, BatchTargetRow) == 4


def test_a_different_target_set_or_config_is_a_new_batch(store: Store) -> None:
    a, _ = store.batches.create_or_get(spec(), targets(4))
    b, created_b = store.batches.create_or_get(spec(), targets(5))
    c, created_c = store.batches.create_or_get(spec(config={"hmc_model": "3dSHORE"}), targets(4))
    assert created_b and created_c
    assert len({a.id, b.id, c.id}) == 3


def test_racing_creates_make_one_batch(store: Store) -> None:
    n = 6
    barrier = threading.Barrier(n)
    results: list[tuple[str, bool]] = []
    errors: list[BaseException] = []

    def launch() -> None:
        try:
            barrier.wait()
            batch, created = store.batches.create_or_get(spec(), targets(50))
            results.append((batch.id, created))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=launch) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({bid for bid, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert count(store, BatchRow) == 1
    assert count(store, BatchTargetRow) == 50


def test_a_taken_short_id_is_redrawn(store: Store) -> None:
    taken, _ = store.batches.create_or_get(spec(), targets(1))
    ids = itertools.chain([taken.id, taken.id], itertools.repeat("bzzzz"))
    repo = BatchRepo(store, id_factory=lambda: next(ids))
    fresh, created = repo.create_or_get(spec(gear="fmriprep"), targets(1))
    assert created and fresh.id == "bzzzz"


def test_duplicate_sessions_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="duplicate"):
        store.batches.create_or_get(spec(), targets(2) + targets(1))
    assert count(store, BatchRow) == 0


def test_enclosing_session_rolls_back_everything(store: Store) -> None:
    with pytest.raises(RuntimeError), store.session():
        store.batches.create_or_get(spec(), targets(3))
        raise RuntimeError("boom")
    assert count(store, BatchRow) == 0
    assert count(store, BatchTargetRow) == 0


def test_legal_transitions_stamp_times(store: Store) -> None:
    batch, _ = store.batches.create_or_get(spec(), targets(2))
    b = store.batches.transition(batch.id, BatchState.AWAITING_APPROVAL)
    b = store.batches.transition(b.id, BatchState.LAUNCHING, approver_email="boss@lab.org")
    assert b.approver_email == "boss@lab.org" and b.launched_at is None
    b = store.batches.transition(b.id, BatchState.LAUNCHED)
    assert b.state is BatchState.LAUNCHED and b.launched_at is not None and b.finished_at is None
    b = store.batches.transition(b.id, BatchState.COMPLETE)
    assert b.is_final and b.finished_at is not None
    assert store.batches.get_existing(b.id).state is BatchState.COMPLETE


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], BatchState.LAUNCHED),
        ([], BatchState.COMPLETE),
        ([BatchState.CANCELLED], BatchState.LAUNCHING),
        ([BatchState.LAUNCHING, BatchState.LAUNCHED, BatchState.COMPLETE], BatchState.FAILED),
        ([BatchState.LAUNCHING], BatchState.PLANNED),
        ([BatchState.LAUNCHING], BatchState.LAUNCHING),
    ],
)
def test_illegal_transitions_raise_and_change_nothing(
    store: Store, path: list[BatchState], illegal: BatchState
) -> None:
    batch, _ = store.batches.create_or_get(spec(), targets(1))
    for state in path:
        store.batches.transition(batch.id, state)
    before = store.batches.get_existing(batch.id)
    with pytest.raises(IllegalTransition) as info:
        store.batches.transition(batch.id, illegal)
    assert info.value.current is before.state and info.value.wanted is illegal
    assert store.batches.get_existing(batch.id) == before


def test_final_states_have_no_way_out() -> None:
    for state in (BatchState.CANCELLED, BatchState.FAILED, BatchState.COMPLETE):
        assert TRANSITIONS[state] == frozenset()


def test_transition_of_unknown_batch_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.batches.transition("bnope", BatchState.LAUNCHING)


def test_record_launch_and_counts(store: Store) -> None:
    batch, _ = store.batches.create_or_get(spec(), targets(3))
    store.batches.record_launch(batch.id, launch_mode=LaunchMode.BATCH_API, flywheel_batch_id="fw1")
    store.batches.update_counts(batch.id, complete=2, failed=1)
    got = store.batches.get_existing(batch.id)
    assert got.launch_mode is LaunchMode.BATCH_API and got.flywheel_batch_id == "fw1"
    assert (got.complete_count, got.failed_count) == (2, 1)
    with pytest.raises(NotFound):
        store.batches.update_counts("bnope", complete=0, failed=0)


def test_bulk_insert_of_1400_targets_is_one_executemany(store: Store) -> None:
    with statements(store) as seen:
        batch, _ = store.batches.create_or_get(spec(), targets(1400))
    inserts = [(sql, many) for sql, many in seen if "INSERT INTO batch_targets" in sql]
    # psycopg batches "insertmanyvalues" by 1,000 rows: at most two statements.
    assert 1 <= len(inserts) <= 2
    assert len(seen) < 12
    assert count(store, BatchTargetRow) == 1400
    assert store.batches.target_counts(batch.id)[TargetState.PLANNED] == 1400


def test_bulk_target_updates(store: Store) -> None:
    batch, _ = store.batches.create_or_get(spec(), targets(1400))
    ts = store.batches.targets(batch.id)
    launched = [
        TargetUpdate(t.id, state=TargetState.LAUNCHED, job_id=f"job-{i}", analysis_id=f"an-{i}")
        for i, t in enumerate(ts[:1000])
    ]
    failed = [TargetUpdate(t.id, state=TargetState.FAILED, error="no dwi") for t in ts[1000:1300]]
    with statements(store) as seen:
        assert store.batches.update_targets(launched + failed) == 1300
    updates = [sql for sql, _ in seen if sql.lstrip().startswith("UPDATE batch_targets")]
    assert 1 <= len(updates) <= 2  # one executemany per set of changed fields
    counts = store.batches.target_counts(batch.id)
    assert counts == {
        TargetState.PLANNED: 100,
        TargetState.LAUNCHED: 1000,
        TargetState.FAILED: 300,
        TargetState.SKIPPED: 0,
        TargetState.CANCELLED: 0,
    }
    first = store.batches.targets(batch.id, [TargetState.LAUNCHED])[0]
    assert (first.job_id, first.analysis_id, first.error) == ("job-0", "an-0", None)
    bad = store.batches.targets(batch.id, [TargetState.FAILED])[0]
    assert bad.error == "no dwi" and bad.job_id is None


def test_skipped_targets_are_recorded(store: Store) -> None:
    ts = [*targets(2), TargetSpec("ses-x", "x", "subx", state=TargetState.SKIPPED)]
    batch, _ = store.batches.create_or_get(spec(), ts)
    assert store.batches.target_counts(batch.id)[TargetState.SKIPPED] == 1


def test_find_is_newest_first_and_filters(store: Store) -> None:
    a, _ = store.batches.create_or_get(spec(project="p1"), targets(1))
    b, _ = store.batches.create_or_get(spec(project="p2"), targets(1))
    c, _ = store.batches.create_or_get(spec(project="p1", requester_email="bo@lab.org"), targets(2))
    store.batches.transition(c.id, BatchState.CANCELLED)
    assert [x.id for x in store.batches.find()] == [c.id, b.id, a.id]
    assert [x.id for x in store.batches.find(project_label="p1")] == [c.id, a.id]
    assert [x.id for x in store.batches.find(requester_email="bo@lab.org")] == [c.id]
    assert [x.id for x in store.batches.find(states=[BatchState.PLANNED])] == [b.id, a.id]
    assert len(store.batches.find(limit=1)) == 1


def test_a_retry_is_recorded_with_the_batch_it_retries_and_found_by_it(store: Store) -> None:
    first, _ = store.batches.create_or_get(spec(project="p1"), targets(3))
    retry, created = store.batches.create_or_get(
        spec(project="p1", key_extra=f"retry-of:{first.id}:1", retry_of=first.id), targets(1)
    )
    other, _ = store.batches.create_or_get(spec(project="p3"), targets(2))
    assert created and retry.id != first.id and retry.retry_of == first.id
    assert store.batches.get_existing(retry.id).retry_of == first.id
    assert first.retry_of is None
    assert [x.id for x in store.batches.find(retry_of=first.id)] == [retry.id]
    assert store.batches.find(retry_of=retry.id) == []
    assert [x.id for x in store.batches.find(project_labels=["p1", "p2"])] == [retry.id, first.id]
    assert [x.id for x in store.batches.find(project_labels=["p3"])] == [other.id]
    assert store.batches.find(project_labels=[]) == []


def test_claim_summaries_once(store: Store) -> None:
    done = final_batch(store, "done")
    failed = final_batch(store, "failed", BatchState.FAILED)
    store.batches.create_or_get(spec(key_extra="running"), targets(1))  # not final
    claimed = store.batches.claim_batches_needing_summary(10, "replica-a")
    assert {b.id for b in claimed} == {done.id, failed.id}
    assert all(b.summary_claimed_by == "replica-a" for b in claimed)
    assert store.batches.claim_batches_needing_summary(10, "replica-b") == []


def test_claim_respects_limit_posted_and_lease(store: Store) -> None:
    one = final_batch(store, "one")
    two = final_batch(store, "two")
    first = store.batches.claim_batches_needing_summary(1, "a")
    assert len(first) == 1
    second = store.batches.claim_batches_needing_summary(5, "b")
    assert {b.id for b in first + second} == {one.id, two.id}
    store.batches.mark_summary_posted(first[0].id)
    later = datetime.now(UTC) + timedelta(hours=1)
    # The unposted claim has expired; the posted one is never claimed again.
    again = store.batches.claim_batches_needing_summary(5, "c", now=later)
    assert [b.id for b in again] == [second[0].id]


def test_released_claim_can_be_taken_again(store: Store) -> None:
    batch = final_batch(store, "x")
    assert store.batches.claim_batches_needing_summary(5, "a")
    store.batches.release_summary_claim(batch.id, "a")
    assert [b.id for b in store.batches.claim_batches_needing_summary(5, "b")] == [batch.id]


def test_two_people_asking_the_same_launch_get_two_batches_with_one_launch_key(
    store: Store,
) -> None:
    mine, _ = store.batches.create_or_get(spec(), targets(4))
    theirs, created = store.batches.create_or_get(spec(requester_email="bo@lab.org"), targets(4))

    assert created and theirs.id != mine.id
    assert theirs.launch_key == mine.launch_key is not None
    assert [b.id for b in store.batches.same_launch(mine.launch_key, besides=mine.id)] == [
        theirs.id
    ]


def test_only_one_batch_of_the_same_launch_can_be_under_way_even_when_racing(
    store: Store,
) -> None:
    """The unique index on under-way launch keys: two people's batches for the same jobs,
    confirmed at the same moment, cannot both start launching."""
    n = 4
    batches = [
        store.batches.create_or_get(spec(requester_email=f"u{i}@lab.org"), targets(3))[0]
        for i in range(n)
    ]
    barrier = threading.Barrier(n)
    won: list[str] = []
    refused: list[str] = []

    def confirm(batch_id: str) -> None:
        barrier.wait()
        try:
            store.batches.transition(batch_id, BatchState.LAUNCHING)
            won.append(batch_id)
        except SameLaunchUnderWay:
            refused.append(batch_id)

    threads = [threading.Thread(target=confirm, args=(b.id,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(won) == 1 and len(refused) == n - 1
    states = [store.batches.get_existing(b.id).state for b in batches]
    assert states.count(BatchState.LAUNCHING) == 1
    # once that launch is over, the same jobs may be asked for (and launched) again
    store.batches.transition(won[0], BatchState.CANCELLED)
    assert store.batches.transition(refused[0], BatchState.LAUNCHING).is_under_way
