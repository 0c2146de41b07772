"""A utility gear's batch-API launch whose proposal answer is lost, against the local
Flywheel and a real SQLite store.

Flywheel shows a proposal's jobs (and so their ``fwbot:<batch>`` tag) only in its answer
to ``POST /batch/jobs``; ``GET /batch`` lists fwbot's own batches without them. So the
intent is written first, with fwbot's pending Flywheel batches of that moment, and on
resume the one pending proposal that appeared since is this batch's: it is run, never
proposed a second time beside it (running both would double every session)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import flywheel
import pytest

from bench.polling import PATIENCE
from bot.domain import BatchState, LaunchMode, TargetState
from bot.service import Services
from bot.store.db import Store
from localfw.server import LocalFlywheel
from tests.service.test_launch_service import (
    CONFIG,
    DCM2NIIX,
    DWI_SESSIONS,
    EDITOR_ACTOR,
    make_services,
    tagged,
)

PROPOSE = r"^POST /batch/jobs$"


@pytest.fixture
def configs_dir(tmp_path: Path) -> Path:
    (tmp_path / "qsi.yml").write_text(CONFIG)
    return tmp_path


@pytest.fixture
def make(
    localfw: LocalFlywheel, sqlite_store: Store, configs_dir: Path
) -> Iterator[Callable[[], Services]]:
    made: list[Services] = []

    def _make() -> Services:
        services = make_services(localfw, sqlite_store, configs_dir)
        made.append(services)
        return services

    yield _make
    for services in made:
        services.workers.shutdown()


def launch_losing_the_proposals_answer(
    services: Services, localfw: LocalFlywheel, kind: str = "drop-after"
) -> str:
    """Confirm a dcm2niix batch while ``POST /batch/jobs`` loses its answer: with
    ``drop-after`` Flywheel made the proposal, with ``drop`` it never saw the request."""
    localfw.knobs.set_errors(1.0, kinds=(kind,), route=PROPOSE)
    ticket = services.launches.request(EDITOR_ACTOR, DCM2NIIX)
    services.launches.confirm(EDITOR_ACTOR, ticket.batch.id)
    services.workers.wait_idle(PATIENCE)
    localfw.knobs.clear()
    return ticket.batch.id


def resume(services: Services, batch_id: str) -> None:
    assert services.background.resume_unfinished() == [batch_id]
    services.workers.wait_idle(PATIENCE)


def pending_proposals(localfw: LocalFlywheel) -> list[str]:
    with localfw.world.lock:
        return [b["_id"] for b in localfw.world.batches.values() if b["state"] == "pending"]


def assert_one_job_per_session(localfw: LocalFlywheel, store: Store, batch_id: str) -> None:
    per_session = Counter(str(j["parents"]["session"]) for j in tagged(localfw, batch_id))  # type: ignore[index]
    assert len(per_session) == DWI_SESSIONS and set(per_session.values()) == {1}
    assert store.batches.get_existing(batch_id).state is BatchState.LAUNCHED
    counts = store.batches.target_counts(batch_id)
    assert counts[TargetState.LAUNCHED] == DWI_SESSIONS


def propose_by_hand(localfw: LocalFlywheel, sessions: int = 3) -> str:
    """A pending proposal of fwbot's own account that fwbot did not make (a script run
    with the same key): tagged otherwise, never run."""
    fw = flywheel.Client(localfw.sdk_api_key)
    gear = fw.lookup("gears/dcm2niix")
    project = fw.projects.find_first("label=gear_testing")
    jobs: list[dict[str, Any]] = [
        {
            "gear_id": gear.id,
            "destination": {"type": "session", "id": s.id},
            "config": {},
            "inputs": {},
            "tags": ["by-hand"],
        }
        for s in project.sessions.find(limit=sessions)
    ]
    return str(fw.create_batch_job_from_jobs({"jobs": jobs}).id)


def test_a_proposal_whose_answer_was_lost_is_found_and_run_not_made_twice(
    localfw: LocalFlywheel, sqlite_store: Store, make: Callable[[], Services]
) -> None:
    """Issue 10, point 6: the id was stored only after Flywheel answered, so the lost
    answer left a runnable proposal nobody knew about, and the resume proposed again."""
    services = make()
    batch_id = launch_losing_the_proposals_answer(services, localfw)

    [orphan] = pending_proposals(localfw)  # made in Flywheel; fwbot never heard its id
    batch = sqlite_store.batches.get_existing(batch_id)
    assert batch.state is BatchState.LAUNCHING and batch.proposal_intent_open
    assert tagged(localfw, batch_id) == []

    resume(services, batch_id)

    assert_one_job_per_session(localfw, sqlite_store, batch_id)
    assert localfw.requests.count("POST", "/batch/jobs") == 1  # never proposed again
    assert pending_proposals(localfw) == []  # nothing left that would double the sessions
    batch = sqlite_store.batches.get_existing(batch_id)
    assert (batch.launch_mode, batch.flywheel_batch_id) == (LaunchMode.BATCH_API, orphan)


def test_an_older_pending_proposal_of_the_same_account_is_never_taken_for_it(
    localfw: LocalFlywheel, sqlite_store: Store, make: Callable[[], Services]
) -> None:
    older = propose_by_hand(localfw)
    services = make()
    batch_id = launch_losing_the_proposals_answer(services, localfw)

    resume(services, batch_id)

    assert_one_job_per_session(localfw, sqlite_store, batch_id)
    assert pending_proposals(localfw) == [older]  # left as it was: not fwbot's to run
    assert sqlite_store.batches.get_existing(batch_id).flywheel_batch_id != older


def test_a_proposal_flywheel_never_saw_is_made_once_on_resume(
    localfw: LocalFlywheel, sqlite_store: Store, make: Callable[[], Services]
) -> None:
    services = make()
    batch_id = launch_losing_the_proposals_answer(services, localfw, kind="drop")
    assert pending_proposals(localfw) == []

    resume(services, batch_id)

    assert_one_job_per_session(localfw, sqlite_store, batch_id)
    assert len(localfw.world.batches) == 1 and pending_proposals(localfw) == []


def test_proposals_that_cannot_be_told_apart_are_never_run(
    localfw: LocalFlywheel, sqlite_store: Store, make: Callable[[], Services]
) -> None:
    """Another pending proposal of fwbot's account appeared after the intent (Flywheel
    shows neither's jobs): fwbot cannot tell which is its own, so it runs neither (a
    pending proposal cannot be cancelled) and proposes anew; each session still gets
    exactly one job. The two stay pending in Flywheel (a limit, in docs/reliability.md)."""
    services = make()
    batch_id = launch_losing_the_proposals_answer(services, localfw)
    [orphan] = pending_proposals(localfw)
    stranger = propose_by_hand(localfw)

    resume(services, batch_id)

    assert_one_job_per_session(localfw, sqlite_store, batch_id)
    assert sorted(pending_proposals(localfw)) == sorted([orphan, stranger])
    assert sqlite_store.batches.get_existing(batch_id).flywheel_batch_id not in (orphan, stranger)


def test_a_proposal_taken_for_its_own_but_someone_elses_is_cancelled_at_once(
    localfw: LocalFlywheel, sqlite_store: Store, make: Callable[[], Services]
) -> None:
    """The proposal never reached Flywheel, and one made with fwbot's key by someone else
    appeared meanwhile: it looks like the lost one. Run, its jobs lack the batch's tag,
    so it is cancelled at once (its jobs never start) and the next run proposes anew."""
    services = make()
    batch_id = launch_losing_the_proposals_answer(services, localfw, kind="drop")
    stranger = propose_by_hand(localfw)

    resume(services, batch_id)  # takes the stranger's for its own, sees, cancels it
    resume(services, batch_id)  # the watcher's next tick

    assert_one_job_per_session(localfw, sqlite_store, batch_id)
    with localfw.world.lock:
        theirs = [j for j in localfw.world.jobs.values() if j.get("batch") == stranger]
    assert len(theirs) == 3 and {j["state"] for j in theirs} == {"cancelled"}
