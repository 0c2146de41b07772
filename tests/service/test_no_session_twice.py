"""No session twice (issue 19, point 4): two fwbot batches never both launch the same run
(gear, version, config, inputs, target), whatever order their plans and clicks come in,
unless the user typed `rerun`; two replicas clicking at the same moment on PostgreSQL
launch each session once. Against the local Flywheel and real stores."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bench.polling import PATIENCE
from bot.domain import BatchSpec, BatchState, TargetSpec, TargetState
from bot.domain.claims import Rerun, run_key
from bot.service import Services
from bot.service.launch.overlap import LaunchedSincePlan
from bot.store.db import Store
from localfw.server import LocalFlywheel
from tests.service.test_launch_service import (
    DWI_SESSIONS,
    EDITOR_ACTOR,
    QSI,
    configs_dir,  # noqa: F401  (the fixture)
    make_services,
    tagged,
)

SMALL = replace(QSI, size="small")  # another VM size: another batch, the same runs


@pytest.fixture
def services(localfw: LocalFlywheel, sqlite_store: Store, configs_dir: Path) -> Iterator[Services]:  # noqa: F811
    svc = make_services(localfw, sqlite_store, configs_dir)
    yield svc
    svc.workers.shutdown()


def runs_per_session(localfw: LocalFlywheel, *batch_ids: str) -> Counter[str]:
    """session id -> fwbot jobs Flywheel has for it, over these batches."""
    return Counter(
        str(job["parents"]["session"])  # type: ignore[index]
        for b in batch_ids
        for job in tagged(localfw, b)
    )


def confirm_and_wait(services: Services, batch_id: str, *, others: bool = False) -> None:
    services.launches.confirm(EDITOR_ACTOR, batch_id, others=others)
    services.workers.wait_idle(PATIENCE)


def test_the_double_launch_from_the_issue_launches_each_session_once(
    services: Services, localfw: LocalFlywheel, sqlite_store: Store
) -> None:
    """`launch`, the same with `size=small`, `confirm`, `confirm`: 2,658 runs on 1,329
    sessions before. Now the second click says all its sessions were launched meanwhile
    and drops its plan."""
    first = services.launches.request(EDITOR_ACTOR, QSI).batch
    second = services.launches.request(EDITOR_ACTOR, SMALL).batch
    assert second.id != first.id  # the idempotency key rightly differs

    confirm_and_wait(services, first.id)
    with pytest.raises(LaunchedSincePlan) as asked:
        services.launches.confirm(EDITOR_ACTOR, second.id)

    assert asked.value.dropped
    assert f"all {DWI_SESSIONS:,} sessions" in asked.value.message
    assert f"launched by `{first.id}` since the plan" in asked.value.message
    assert sqlite_store.batches.get_existing(second.id).state is BatchState.CANCELLED
    counts = runs_per_session(localfw, first.id, second.id)
    assert len(counts) == DWI_SESSIONS and set(counts.values()) == {1}


def test_a_click_after_a_partial_overlap_asks_then_launches_the_others(
    services: Services, localfw: LocalFlywheel, sqlite_store: Store
) -> None:
    """The plan covers every DWI session; meanwhile a batch over some of them was
    launched: the click says how many and by whom, and `others` launches the rest."""
    everything = services.launches.request(EDITOR_ACTOR, QSI).batch
    subset = _subset_request(sqlite_store, everything.id)
    confirm_and_wait(services, subset)
    launched_first = sqlite_store.batches.target_counts(subset)[TargetState.LAUNCHED]
    assert 0 < launched_first < DWI_SESSIONS

    with pytest.raises(LaunchedSincePlan) as asked:
        services.launches.confirm(EDITOR_ACTOR, everything.id)
    rest = DWI_SESSIONS - launched_first
    assert not asked.value.dropped
    assert asked.value.message == (
        f"{launched_first:,} of these sessions were launched by `{subset}` since the plan; "
        f"launch the other {rest:,}?"
    )
    assert sqlite_store.batches.get_existing(everything.id).state is BatchState.PLANNED

    confirm_and_wait(services, everything.id, others=True)

    batch = sqlite_store.batches.get_existing(everything.id)
    assert batch.state is BatchState.LAUNCHED and batch.target_count == rest
    counts = sqlite_store.batches.target_counts(everything.id)
    assert counts[TargetState.LAUNCHED] == rest and counts[TargetState.SKIPPED] == launched_first
    per_session = runs_per_session(localfw, subset, everything.id)
    assert len(per_session) == DWI_SESSIONS and set(per_session.values()) == {1}


def test_a_failed_run_does_not_hold_its_session(
    services: Services, localfw: LocalFlywheel, sqlite_store: Store
) -> None:
    """A batch whose run on a session failed does not keep a later batch from it: the
    later plan (made before the failure) launches it without asking."""
    first = services.launches.request(EDITOR_ACTOR, QSI).batch
    second = services.launches.request(EDITOR_ACTOR, SMALL).batch
    confirm_and_wait(services, first.id)
    for job in localfw.world.jobs.values():
        job["state"] = "failed"

    confirm_and_wait(services, second.id)

    assert sqlite_store.batches.target_counts(second.id)[TargetState.LAUNCHED] == DWI_SESSIONS


def test_rerun_launches_again_and_says_so(
    services: Services, localfw: LocalFlywheel, sqlite_store: Store
) -> None:
    first = services.launches.request(EDITOR_ACTOR, QSI).batch
    confirm_and_wait(services, first.id)

    again = services.launches.request(EDITOR_ACTOR, replace(QSI, rerun=True))

    assert len(again.plan.to_launch) == DWI_SESSIONS and again.plan.skipped == ()
    assert again.plan.rerun is Rerun.ALL and again.batch.rerun is Rerun.ALL
    confirm_and_wait(services, again.batch.id)
    assert set(runs_per_session(localfw, first.id, again.batch.id).values()) == {2}
    asked = [e for e in sqlite_store.audit.recent(limit=20) if e.action == "launch.request"]
    assert asked[0].target == "qsiprep-hpc rerun"


def test_a_plan_leaves_out_what_another_batch_is_launching_now(
    services: Services, sqlite_store: Store
) -> None:
    """Runs a batch is launching this moment are not in Flywheel yet: the plan learns of
    them from the run claims, and says which batch has them."""
    first = services.launches.request(EDITOR_ACTOR, QSI).batch
    launching = sqlite_store.batches.transition(first.id, BatchState.LAUNCHING)  # no launcher
    planned = sqlite_store.batches.targets(first.id)
    sqlite_store.batches.claim_runs(
        first.id, {run_key(launching, t.key, t.inputs): t.key for t in planned[:10]}
    )

    plan = services.launches.preview(EDITOR_ACTOR, SMALL)

    assert len(plan.to_launch) == DWI_SESSIONS - 10
    assert plan.skipped_by_state() == {"launching": 10}
    assert plan.skipped_batches() == [first.id]


def _subset_request(store: Store, everything: str) -> str:
    """A batch over some of ``everything``'s sessions, recorded directly: the plan's own
    targets, cut to the first 40 (as a config with a subject list would)."""
    batch = store.batches.get_existing(everything)
    spec_targets = store.batches.targets(everything)[:40]
    spec = BatchSpec(
        gear_name=batch.gear_name,
        gear_version=batch.gear_version,
        gear_id=batch.gear_id,
        project_id=batch.project_id,
        project_label=batch.project_label,
        analysis_label=batch.analysis_label,
        requester_email=batch.requester_email,
        requester_slack_id=batch.requester_slack_id,
        channel_id=batch.channel_id,
        config=batch.config,
        inputs=batch.inputs,
        config_name=batch.config_name,
        expect_outputs=batch.expect_outputs,
    )
    targets = [
        TargetSpec(
            session_id=t.session_id,
            session_label=t.session_label,
            subject_label=t.subject_label,
            target_type=t.target_type,
            target_id=t.target_id or None,
            inputs=t.inputs,
        )
        for t in spec_targets
    ]
    created, _ = store.batches.create_or_get(spec, targets)
    return created.id


@pytest.mark.postgres
def test_two_replicas_confirming_overlapping_plans_at_once_launch_each_session_once(
    localfw: LocalFlywheel,
    pg_store: Store,
    configs_dir: Path,  # noqa: F811
) -> None:
    """Two bot processes on one PostgreSQL database: two plans over the same sessions,
    each confirmed on its own replica at the same moment. One click wins the claims; the
    other is told its sessions were launched meanwhile. Each session runs once."""
    replicas = [make_services(localfw, pg_store, configs_dir) for _ in range(2)]
    try:
        plans = [
            replicas[0].launches.request(EDITOR_ACTOR, QSI).batch.id,
            replicas[1].launches.request(EDITOR_ACTOR, SMALL).batch.id,
        ]
        start = threading.Barrier(2)
        outcomes: dict[str, object] = {}

        def click(replica: Services, batch_id: str) -> None:
            start.wait()
            try:
                outcomes[batch_id] = replica.launches.confirm(EDITOR_ACTOR, batch_id)
            except LaunchedSincePlan as asked:
                outcomes[batch_id] = asked

        threads = [
            threading.Thread(target=click, args=(r, b))
            for r, b in zip(replicas, plans, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(2 * PATIENCE)
        for replica in replicas:
            replica.workers.wait_idle(2 * PATIENCE)

        told = [o for o in outcomes.values() if isinstance(o, LaunchedSincePlan)]
        assert len(outcomes) == 2 and len(told) == 1 and told[0].dropped
        per_session = runs_per_session(localfw, *plans)
        assert len(per_session) == DWI_SESSIONS and set(per_session.values()) == {1}
    finally:
        for replica in replicas:
            replica.workers.shutdown()
