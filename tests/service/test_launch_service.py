"""The launch service against the local Flywheel (small world) and a real SQLite store:
planning, skipping, approval, launching by batch API or per session, and resuming."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import flywheel
import pytest
from sqlalchemy import event

from bench.polling import PATIENCE, eventually
from bot.bootstrap import build_services
from bot.domain import (
    Actor,
    BatchState,
    LaunchMode,
    ModeSetting,
    TargetState,
)
from bot.errors import Conflict, NotFound, PermissionDenied, UsageError
from bot.flywheel.sdk_gateway import SdkGateway
from bot.service import Services
from bot.service.launch.plan_model import LaunchRequest
from bot.service.launch.service import CancelStep
from bot.service.launch.timing import LaunchTiming
from bot.service.policy import Policy, ProjectRules
from bot.store.db import Store
from localfw.server import LocalFlywheel
from tests.fixtures.localfw import ADMIN, EDITOR, VIEWER

DWI_SESSIONS = 248  # of the small world's 310 (every fifth session has no DWI)
CONFIG = """\
name: qsi
gear: qsiprep-hpc
label: "QSI_{gear}_{version}"
size: large
config: {hmc_model: 3dSHORE}
inputs: {freesurfer_license: {project_file: license.txt}}
sessions: {has_acquisition: acq-64dir_dwi}
skip: complete
"""

EDITOR_ACTOR = Actor(email=EDITOR, slack_user_id="U1", channel_id="C1")
ADMIN_ACTOR = Actor(email=ADMIN, slack_user_id="U2", channel_id="C1")
VIEWER_ACTOR = Actor(email=VIEWER, slack_user_id="U3", channel_id="C1")
QSI = LaunchRequest(gear="qsiprep-hpc", project="gear_testing", config_name="qsi")


@pytest.fixture
def configs_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "configs"
    directory.mkdir()
    (directory / "qsi.yml").write_text(CONFIG)
    return directory


def make_services(
    localfw: LocalFlywheel,
    store: Store,
    configs_dir: Path,
    *,
    mode: ModeSetting = "auto",
    policy: Policy | None = None,
    timing: LaunchTiming | None = None,
) -> Services:
    gateway = SdkGateway.connect(localfw.sdk_api_key)
    return build_services(
        gateway,
        store,
        policy or Policy(max_batch_without_approval=1000),
        configs_dir,
        launch_mode=mode,
        launch_timing=timing,
    )


@pytest.fixture
def services(localfw: LocalFlywheel, sqlite_store: Store, configs_dir: Path) -> Iterator[Services]:
    svc = make_services(localfw, sqlite_store, configs_dir)
    yield svc
    svc.workers.shutdown()


def launch(services: Services, request: LaunchRequest = QSI, actor: Actor = EDITOR_ACTOR) -> str:
    ticket = services.launches.request(actor, request)
    services.launches.confirm(actor, ticket.batch.id)
    services.workers.wait_idle(PATIENCE)
    return ticket.batch.id


def tagged(localfw: LocalFlywheel, batch_id: str) -> list[dict[str, object]]:
    return [j for j in localfw.world.jobs.values() if f"fwbot:{batch_id}" in j.get("tags", [])]


def test_the_plan_matches_sessions_and_changes_nothing(
    services: Services, localfw: LocalFlywheel, sqlite_store: Store
) -> None:
    localfw.requests.reset()

    plan = services.launches.preview(VIEWER_ACTOR, QSI)  # read access is enough to look

    assert len(plan.to_launch) == DWI_SESSIONS and plan.skipped == ()
    assert plan.label == "QSI_qsiprep-hpc_0.21.4"
    assert plan.config["hmc_model"] == "3dSHORE" and plan.config["output_resolution"] == 2.0
    assert plan.vm_tag == "vm-n1-highmem-4_disk-300GB_swap-30G"
    assert localfw.requests.writes() == []
    assert sqlite_store.batches.find() == []


def test_a_launch_creates_one_tagged_job_per_session_in_few_requests(
    services: Services, localfw: LocalFlywheel, sqlite_store: Store
) -> None:
    localfw.requests.reset()

    batch_id = launch(services)

    jobs = tagged(localfw, batch_id)
    assert len(jobs) == DWI_SESSIONS
    assert len({j["parents"]["session"] for j in jobs}) == DWI_SESSIONS  # type: ignore[index]
    assert all("vm-n1-highmem-4_disk-300GB_swap-30G" in j["tags"] for j in jobs)  # type: ignore[operator]
    assert all(j["config"]["config"]["hmc_model"] == "3dSHORE" for j in jobs)  # type: ignore[index]
    assert all(j["inputs"]["freesurfer_license"]["name"] == "license.txt" for j in jobs)  # type: ignore[index]
    # an analysis gear: one new analysis per session, never premade jobs on the session
    assert {j["destination"]["type"] for j in jobs} == {"analysis"}  # type: ignore[index]
    analyses = [localfw.world.analyses[j["destination"]["id"]] for j in jobs]  # type: ignore[index]
    assert {a["label"] for a in analyses} == {"QSI_qsiprep-hpc_0.21.4"}
    batch = sqlite_store.batches.get_existing(batch_id)
    assert batch.state is BatchState.LAUNCHED and batch.launch_mode is LaunchMode.PER_SESSION
    assert sqlite_store.batches.target_counts(batch_id)[TargetState.LAUNCHED] == DWI_SESSIONS
    creations = localfw.requests.count("POST", "/sessions/{cid}/analyses")
    assert creations == DWI_SESSIONS
    assert localfw.requests.count() - creations <= 20
    assert not any(r.route.startswith("/batch") for r in localfw.requests.records)


def test_asking_again_launches_nothing_and_names_the_batch(
    services: Services, localfw: LocalFlywheel
) -> None:
    batch_id = launch(services)

    with pytest.raises(Conflict) as err:
        services.launches.request(EDITOR_ACTOR, QSI)
    assert batch_id in err.value.message
    services.launches.confirm(EDITOR_ACTOR, batch_id)  # a late second click
    services.workers.wait_idle(PATIENCE)
    assert len(localfw.world.jobs) == DWI_SESSIONS


def test_a_repeated_request_before_confirming_returns_the_same_batch(services: Services) -> None:
    first = services.launches.request(EDITOR_ACTOR, QSI)
    second = services.launches.request(EDITOR_ACTOR, QSI)

    assert second.batch.id == first.batch.id and second.created is False


@pytest.mark.parametrize(
    "changed",
    [
        replace(QSI, size="small"),  # another VM: another launch
        replace(QSI, label="QSI_rerun"),  # another analysis label: another launch
    ],
    ids=["size", "label"],
)
def test_a_request_that_differs_in_size_or_label_is_a_new_batch(
    services: Services, changed: LaunchRequest
) -> None:
    """The old batch was shown beside the new plan, and confirming launched the old one."""
    first = services.launches.request(EDITOR_ACTOR, QSI)
    second = services.launches.request(EDITOR_ACTOR, changed)

    assert second.created and second.batch.id != first.batch.id
    assert (second.batch.size, second.batch.analysis_label) == (
        second.plan.size,
        second.plan.label,
    )


def test_complete_runs_are_skipped_and_failed_ones_relaunched(
    services: Services, localfw: LocalFlywheel
) -> None:
    launch(services)
    jobs = list(localfw.world.jobs.values())
    jobs[0]["state"], jobs[1]["state"] = "failed", "cancelled"
    localfw.clock.advance(5_000)  # the rest complete (the simulator leaves ended jobs alone)

    plan = services.launches.preview(EDITOR_ACTOR, QSI)

    assert len(plan.to_launch) == 2
    assert plan.skipped_by_state() == {"complete": DWI_SESSIONS - 2}


def test_runs_made_outside_fwbot_count_too(
    services: Services, localfw: LocalFlywheel
) -> None:
    """A lab member ran qsiprep-hpc by hand (the tutorial's loop, the web UI) on some
    sessions: fwbot never tagged those runs, yet planning sees them through the analyses
    of the project's sessions and does not launch a second one."""
    plan = services.launches.preview(EDITOR_ACTOR, QSI)
    by_hand = plan.to_launch[:7]
    fw = flywheel.Client(localfw.key_for(EDITOR))
    gear = fw.lookup("gears/qsiprep-hpc")
    project = fw.get_project(plan.project.project_id)
    for session in by_hand:
        gear.run(
            analysis_label="by hand",
            config={"hmc_model": "3dSHORE", "output_resolution": 2.0},
            inputs={"freesurfer_license": project.get_file("license.txt")},
            destination=fw.get_session(session.session_id),
        )

    again = services.launches.preview(EDITOR_ACTOR, QSI)

    assert {s.session.session_id for s in again.skipped} == {s.session_id for s in by_hand}
    assert again.skipped_by_state() == {"pending": 7}
    assert len(again.to_launch) == DWI_SESSIONS - 7


def test_other_versions_and_configs_do_not_count_as_the_same_run(
    services: Services, configs_dir: Path
) -> None:
    launch(services)
    (configs_dir / "other.yml").write_text(
        CONFIG.replace("name: qsi", "name: other").replace("3dSHORE", "eddy")
    )
    (configs_dir / "old.yml").write_text(
        CONFIG.replace("name: qsi", "name: old").replace(
            "gear: qsiprep-hpc", 'gear: qsiprep-hpc\nversion: "0.20.0"'
        )
    )

    other = services.launches.preview(
        EDITOR_ACTOR, LaunchRequest("qsiprep-hpc", "gear_testing", "other")
    )
    old = services.launches.preview(
        EDITOR_ACTOR, LaunchRequest("qsiprep-hpc", "gear_testing", "old")
    )

    assert len(other.to_launch) == len(old.to_launch) == DWI_SESSIONS


def test_a_session_filter_that_matches_nothing_says_what_to_type(services: Services) -> None:
    with pytest.raises(UsageError) as err:
        services.launches.preview(
            EDITOR_ACTOR, LaunchRequest("qsiprep-hpc", "gear_testing", "qsi", sessions="acq-99dir")
        )
    assert "acq-99dir" in err.value.message and "sessions=all" in (err.value.hint or "")
    everything = services.launches.preview(
        EDITOR_ACTOR, LaunchRequest("qsiprep-hpc", "gear_testing", "qsi", sessions="all")
    )
    assert len(everything.matched) == 310


def test_unknown_gear_project_and_config_are_named(services: Services) -> None:
    with pytest.raises(NotFound, match="qsiprep-hcp"):
        services.launches.preview(EDITOR_ACTOR, LaunchRequest("qsiprep-hcp", "gear_testing"))
    with pytest.raises(NotFound, match="gear_tesing"):
        services.launches.preview(EDITOR_ACTOR, LaunchRequest("qsiprep-hpc", "gear_tesing"))
    with pytest.raises(NotFound, match="nope"):
        services.launches.preview(
            EDITOR_ACTOR, LaunchRequest("qsiprep-hpc", "gear_testing", "nope")
        )


def test_read_only_may_preview_but_not_launch(services: Services, localfw: LocalFlywheel) -> None:
    services.launches.preview(VIEWER_ACTOR, QSI)
    with pytest.raises(PermissionDenied, match="read-only"):
        services.launches.request(VIEWER_ACTOR, QSI)
    assert localfw.requests.writes() == []


def test_only_the_requester_can_confirm(services: Services, localfw: LocalFlywheel) -> None:
    ticket = services.launches.request(EDITOR_ACTOR, QSI)

    with pytest.raises(PermissionDenied, match=r"Only editor@example\.org"):
        services.launches.confirm(ADMIN_ACTOR, ticket.batch.id)
    assert localfw.world.jobs == {}


def test_large_batches_wait_for_a_project_admin_who_is_not_the_requester(
    localfw: LocalFlywheel, sqlite_store: Store, configs_dir: Path
) -> None:
    services = make_services(
        localfw, sqlite_store, configs_dir, policy=Policy(max_batch_without_approval=100)
    )
    ticket = services.launches.request(EDITOR_ACTOR, QSI)
    assert ticket.batch.state is BatchState.AWAITING_APPROVAL
    assert "over the 100-job limit" in ticket.plan.approval_reasons[0]

    with pytest.raises(Conflict, match="waiting for a project admin"):
        services.launches.confirm(EDITOR_ACTOR, ticket.batch.id)
    with pytest.raises(PermissionDenied, match="someone else must approve"):
        services.launches.approve(EDITOR_ACTOR, ticket.batch.id)
    services.launches.approve(ADMIN_ACTOR, ticket.batch.id)
    services.workers.wait_idle(PATIENCE)

    batch = sqlite_store.batches.get_existing(ticket.batch.id)
    assert batch.state is BatchState.LAUNCHED and batch.approver_email == ADMIN
    assert len(tagged(localfw, batch.id)) == DWI_SESSIONS
    services.workers.shutdown()


DCM2NIIX = LaunchRequest(gear="dcm2niix", project="gear_testing", sessions="acq-64dir_dwi")


def test_a_utility_gear_goes_through_the_batch_api_onto_the_sessions(
    localfw: LocalFlywheel, services: Services, sqlite_store: Store
) -> None:
    localfw.requests.reset()

    batch_id = launch(services, DCM2NIIX)

    batch = sqlite_store.batches.get_existing(batch_id)
    assert batch.launch_mode is LaunchMode.BATCH_API and batch.flywheel_batch_id
    jobs = tagged(localfw, batch_id)
    assert len(jobs) == DWI_SESSIONS
    assert {j["destination"]["type"] for j in jobs} == {"session"}  # type: ignore[index]
    assert localfw.requests.count("POST", "/batch/jobs") == 1
    assert localfw.requests.count("POST", "/batch/{id}/run") == 1
    assert localfw.world.analyses == {}


def test_without_the_batch_api_each_session_is_launched_once(
    localfw: LocalFlywheel, services: Services, sqlite_store: Store
) -> None:
    """A site without the batch API answers 405 there: a utility gear's jobs go one by one."""
    localfw.knobs.hide_routes(r"^/batch")

    batch_id = launch(services, DCM2NIIX)

    assert sqlite_store.batches.get_existing(batch_id).launch_mode is LaunchMode.PER_SESSION
    jobs = tagged(localfw, batch_id)
    assert len(jobs) == DWI_SESSIONS
    assert len({j["parents"]["session"] for j in jobs}) == DWI_SESSIONS  # type: ignore[index]
    assert {j["destination"]["type"] for j in jobs} == {"session"}  # type: ignore[index]


def test_a_busy_flywheel_is_waited_for_and_no_session_is_lost(
    localfw: LocalFlywheel, services: Services, sqlite_store: Store
) -> None:
    """429 with Retry-After on a third of the analysis creations: the same request goes again
    after the pause (Flywheel did nothing), so every session gets exactly one analysis."""
    localfw.knobs.set_errors(0.3, ["429"], route=r"/analyses$", retry_after=0)

    batch_id = launch(services)

    counts = sqlite_store.batches.target_counts(batch_id)
    assert counts[TargetState.LAUNCHED] == DWI_SESSIONS and counts[TargetState.FAILED] == 0
    jobs = tagged(localfw, batch_id)
    sessions = {j["parents"]["session"] for j in jobs}  # type: ignore[index]
    assert len(sessions) == len(jobs) == DWI_SESSIONS
    assert localfw.requests.count("POST", "/sessions/{cid}/analyses") > DWI_SESSIONS


def test_lost_answers_are_checked_by_tag_before_any_retry(
    localfw: LocalFlywheel, sqlite_store: Store, configs_dir: Path
) -> None:
    """Per session, with a fifth of the launch calls' connections dropped, before or after
    Flywheel created the job (a lost answer). The tag check finds the created ones; nothing
    is launched twice, and every session ends launched or failed."""
    services = make_services(localfw, sqlite_store, configs_dir, mode="per-session")
    localfw.knobs.set_errors(
        rate=0.2, kinds=("drop", "drop-after"), route=r"^/sessions/[^/]+/analyses"
    )

    batch_id = launch(services)

    jobs = tagged(localfw, batch_id)
    sessions = [j["parents"]["session"] for j in jobs]  # type: ignore[index]
    assert len(sessions) == len(set(sessions))  # never twice
    counts = sqlite_store.batches.target_counts(batch_id)
    assert counts[TargetState.LAUNCHED] == len(jobs) > DWI_SESSIONS * 0.9
    assert counts[TargetState.LAUNCHED] + counts[TargetState.FAILED] == DWI_SESSIONS
    services.workers.shutdown()


def test_a_stopped_launch_resumes_in_a_new_process_without_doubles(
    localfw: LocalFlywheel, sqlite_store: Store, configs_dir: Path
) -> None:
    first = make_services(localfw, sqlite_store, configs_dir, mode="per-session")
    localfw.knobs.latency = 0.005
    ticket = first.launches.request(EDITOR_ACTOR, QSI)
    first.launches.confirm(EDITOR_ACTOR, ticket.batch.id)
    eventually(  # some, not all, sessions launched
        lambda: sqlite_store.batches.target_counts(ticket.batch.id)[TargetState.LAUNCHED] >= 20,
        "20 sessions launched",
    )
    first.workers.shutdown()  # the bot stops part-way

    assert sqlite_store.batches.get_existing(ticket.batch.id).state is BatchState.LAUNCHING
    assert sqlite_store.batches.target_counts(ticket.batch.id)[TargetState.PLANNED] > 0

    restarted = make_services(localfw, sqlite_store, configs_dir, mode="per-session")
    assert restarted.background.resume_unfinished() == [ticket.batch.id]
    restarted.workers.wait_idle(PATIENCE)

    jobs = tagged(localfw, ticket.batch.id)
    sessions = [j["parents"]["session"] for j in jobs]  # type: ignore[index]
    assert len(sessions) == len(set(sessions)) == DWI_SESSIONS
    assert sqlite_store.batches.get_existing(ticket.batch.id).state is BatchState.LAUNCHED
    restarted.workers.shutdown()


def test_two_replicas_resuming_the_same_batch_launch_each_session_once(
    localfw: LocalFlywheel, sqlite_store: Store, configs_dir: Path
) -> None:
    replicas = [make_services(localfw, sqlite_store, configs_dir, mode="per-session") for _ in "ab"]
    localfw.knobs.latency = 0.002
    ticket = replicas[0].launches.request(EDITOR_ACTOR, QSI)
    sqlite_store.batches.transition(ticket.batch.id, BatchState.LAUNCHING)  # as a crash left it

    for replica in replicas:  # both watchers tick at once
        replica.background.resume_unfinished()
    for replica in replicas:
        replica.workers.wait_idle(PATIENCE)

    jobs = tagged(localfw, ticket.batch.id)
    sessions = [j["parents"]["session"] for j in jobs]  # type: ignore[index]
    assert len(sessions) == len(set(sessions)) == DWI_SESSIONS
    assert sqlite_store.batches.get_existing(ticket.batch.id).state is BatchState.LAUNCHED
    for replica in replicas:
        replica.workers.shutdown()


def test_a_dropped_plan_does_not_block_asking_again(
    services: Services, localfw: LocalFlywheel
) -> None:
    first = services.launches.request(EDITOR_ACTOR, QSI)
    services.launches.cancel_plan(EDITOR_ACTOR, first.batch.id)

    again = services.launches.request(EDITOR_ACTOR, QSI)

    assert again.created and again.batch.id != first.batch.id
    assert again.batch.state is BatchState.PLANNED
    services.launches.confirm(EDITOR_ACTOR, again.batch.id)
    services.workers.wait_idle(PATIENCE)
    assert len(tagged(localfw, again.batch.id)) == DWI_SESSIONS


def start_some(localfw: LocalFlywheel, batch_id: str, running: int) -> None:
    """Move ``running`` of the batch's pending jobs to running, as Flywheel would."""
    for job in tagged(localfw, batch_id)[:running]:
        job["state"] = "running"


@pytest.mark.parametrize("mode", ["auto", "per-session"])
def test_cancel_previews_then_cancels_only_the_pending_jobs(
    localfw: LocalFlywheel, sqlite_store: Store, configs_dir: Path, mode: ModeSetting
) -> None:
    services = make_services(localfw, sqlite_store, configs_dir, mode=mode)
    batch_id = launch(services)
    start_some(localfw, batch_id, running=48)
    localfw.requests.reset()

    preview = services.launches.cancel(EDITOR_ACTOR, batch_id, confirmed=False)

    assert preview.step is CancelStep.PREVIEW
    assert (preview.pending, preview.running, preview.finished) == (DWI_SESSIONS - 48, 48, 0)
    assert localfw.requests.writes() == []  # a preview changes nothing
    done = services.launches.cancel(EDITOR_ACTOR, batch_id, confirmed=True)
    services.workers.wait_idle(PATIENCE)

    assert done.step is CancelStep.DONE and done.pending == DWI_SESSIONS - 48
    states = [j["state"] for j in tagged(localfw, batch_id)]
    assert states.count("cancelled") == DWI_SESSIONS - 48
    assert states.count("running") == 48
    localfw.clock.advance(5_000)  # the running ones finish
    services.watcher.tick()
    assert sqlite_store.batches.get_existing(batch_id).state is BatchState.CANCELLED
    services.workers.shutdown()


def test_only_the_launcher_or_a_project_admin_may_cancel(
    services: Services, localfw: LocalFlywheel, sqlite_store: Store
) -> None:
    batch_id = launch(services)

    with pytest.raises(PermissionDenied, match=r"launched by editor@example\.org"):
        services.launches.cancel(VIEWER_ACTOR, batch_id, confirmed=True)
    assert {j["state"] for j in tagged(localfw, batch_id)} == {"pending"}

    services.launches.cancel(ADMIN_ACTOR, batch_id, confirmed=True)
    services.workers.wait_idle(PATIENCE)  # analyses are cancelled job by job, in the worker pool
    assert {j["state"] for j in tagged(localfw, batch_id)} == {"cancelled"}
    outcomes = [(e.actor_email, e.action, e.outcome) for e in sqlite_store.audit.recent(50)]
    assert (VIEWER, "cancel", "refused") in outcomes and (ADMIN, "cancel", "allowed") in outcomes


def test_a_batch_with_nothing_pending_says_so(services: Services, localfw: LocalFlywheel) -> None:
    batch_id = launch(services)
    start_some(localfw, batch_id, running=DWI_SESSIONS)

    with pytest.raises(Conflict, match="no pending jobs"):
        services.launches.cancel(EDITOR_ACTOR, batch_id, confirmed=True)


def test_the_lab_policy_can_forbid_a_gear_on_a_project(
    localfw: LocalFlywheel, sqlite_store: Store, configs_dir: Path
) -> None:
    policy = Policy(projects={"gear_testing": ProjectRules(gears=["fmriprep"])})
    services = make_services(localfw, sqlite_store, configs_dir, policy=policy)

    with pytest.raises(PermissionDenied) as err:
        services.launches.preview(EDITOR_ACTOR, QSI)

    assert "does not allow `qsiprep-hpc` on `gear_testing`" in err.value.message
    assert err.value.hint == "Allowed there: fmriprep."
    [event] = sqlite_store.audit.recent(1)
    assert (event.outcome, event.reason) == ("refused", "gear not allowed by policy")


def test_a_vm_size_that_needs_approval_waits_for_one(services: Services) -> None:
    request = LaunchRequest("qsiprep-hpc", "gear_testing", "qsi", size="extra-large")

    ticket = services.launches.request(EDITOR_ACTOR, request)

    assert ticket.batch.state is BatchState.AWAITING_APPROVAL
    assert ticket.plan.approval_reasons == ("size `extra-large` needs approval",)
    assert ticket.batch.vm_tag == "vm-n1-highmem-8_disk-1500G_swap-60G"


def test_a_mistyped_project_suggests_only_the_users_own_projects(
    services: Services, localfw: LocalFlywheel
) -> None:
    with pytest.raises(NotFound) as mine:
        services.launches.preview(EDITOR_ACTOR, LaunchRequest("qsiprep-hpc", "gear_tesing"))
    assert mine.value.suggestions == ["gear_testing"]

    stranger = Actor(email="nobody@example.org", slack_user_id="U9")
    with pytest.raises(NotFound) as theirs:
        services.launches.preview(stranger, LaunchRequest("qsiprep-hpc", "gear_tesing"))
    assert theirs.value.suggestions == []  # never a project they have no role on


def test_confirm_authorizes_first_and_changes_the_batch_in_one_transaction(
    services: Services, sqlite_store: Store
) -> None:
    """The Launch click reads the batch to authorize (which may wait on Flywheel), then in
    one unit of work reads it again and changes it with one compare-and-set."""
    ticket = services.launches.request(EDITOR_ACTOR, QSI)
    me = threading.get_ident()
    seen: list[str] = []

    def listen(_c: Any, _cur: Any, sql: str, *_: Any) -> None:
        if threading.get_ident() == me:  # not the launch it hands to the worker pool
            seen.append(" ".join(sql.split()))

    event.listen(sqlite_store.engine, "before_cursor_execute", listen)
    try:
        services.launches.confirm(EDITOR_ACTOR, ticket.batch.id)
    finally:
        event.remove(sqlite_store.engine, "before_cursor_execute", listen)
    services.workers.wait_idle(PATIENCE)

    batch_reads = [q for q in seen if q.startswith("SELECT") and "FROM batches" in q]
    writes = [q for q in seen if q.startswith(("UPDATE batches", "INSERT", "DELETE"))]
    begins = [q for q in seen if q.startswith("BEGIN")]
    # the batch to authorize, someone else's batch launching the same jobs (to answer
    # before the overlap check); in the unit: the batch, that twin again (a race), the
    # row the CAS changed
    assert len(batch_reads) == 5
    assert [" ".join(w.split()[0:3]) for w in writes if "audit" not in w] == [
        "UPDATE batches SET",  # the compare-and-set to launching
        "INSERT INTO run_claims",  # its runs, claimed in the same unit
    ]
    # the read to authorize, the read of a twin launch, the reads of its targets and of the
    # runs others hold, then the unit of work, then the click's one audit row
    assert begins == ["BEGIN", "BEGIN", "BEGIN", "BEGIN", "BEGIN IMMEDIATE", "BEGIN IMMEDIATE"]


def test_a_running_launch_beats_its_lease_whatever_it_is_doing(
    localfw: LocalFlywheel,
    sqlite_store: Store,
    configs_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The heartbeat renews the lease on its own clock: a launcher stuck in slow requests
    (here 0.6 s each) keeps its batch; only a dead one's lease lapses (25 s)."""
    from bot.store.models import BatchRow

    services = make_services(
        localfw,
        sqlite_store,
        configs_dir,
        mode="per-session",
        timing=LaunchTiming(renew_every=0.05),  # a beat every 50 ms: many within the wait
    )
    ticket = services.launches.request(EDITOR_ACTOR, QSI)
    localfw.knobs.latency = 0.6  # every request hangs: the launch makes no progress
    services.launches.confirm(EDITOR_ACTOR, ticket.batch.id)
    beats: set[object] = set()

    def beating() -> bool:
        with sqlite_store.reading() as s:
            row = s.get(BatchRow, ticket.batch.id)
            assert row is not None
            beats.add(row.launch_heartbeat)
        return len(beats - {None}) >= 6

    eventually(beating, "six heartbeats")  # beats while no session could be launched
    services.workers.shutdown()  # stops at the next session, gives the lease back

    with sqlite_store.reading() as s:
        row = s.get(BatchRow, ticket.batch.id)
        assert row is not None and row.launch_owner is None


def test_a_launch_held_by_a_dead_process_is_taken_over_when_its_lease_lapses(
    localfw: LocalFlywheel, sqlite_store: Store, configs_dir: Path
) -> None:
    """After kill -9 the dead process's lease still stands; the restarted bot does not wait
    for a watcher pass (30 s) but tries again the moment the lease would lapse."""
    from datetime import timedelta

    from bot.store.models import BatchRow, utcnow

    services = make_services(localfw, sqlite_store, configs_dir, mode="per-session")
    ticket = services.launches.request(EDITOR_ACTOR, QSI)
    batch_id = ticket.batch.id
    sqlite_store.batches.transition(batch_id, BatchState.LAUNCHING)
    with sqlite_store.session() as s:  # the dead process's last heartbeat: 24.7 s ago
        row = s.get(BatchRow, batch_id)
        assert row is not None
        row.launch_owner = "dead-host:4242:cafe"
        row.launch_heartbeat = utcnow() - timedelta(seconds=24.7)

    services.background.resume_unfinished()  # once, as a restarted bot does at start

    eventually(  # no watcher runs here: only the retry at the lapse can take it over
        lambda: sqlite_store.batches.get_existing(batch_id).state is not BatchState.LAUNCHING,
        "the lapsed lease taken over",
    )
    services.workers.shutdown()
    assert sqlite_store.batches.get_existing(batch_id).state is BatchState.LAUNCHED
    assert sqlite_store.batches.target_counts(batch_id)[TargetState.LAUNCHED] == len(
        ticket.plan.to_launch
    )


@pytest.mark.parametrize("click", ["confirm", "approve", "drop"])
def test_a_click_asks_flywheel_before_it_holds_the_database(
    localfw: LocalFlywheel, sqlite_store: Store, configs_dir: Path, click: str
) -> None:
    """With a cold roles cache the click reads Flywheel; that read and the authorization
    come before the unit of work (FWBOT_STRICT_UNITS turns a Flywheel call inside one into
    an error), so a slow Flywheel never holds the one SQLite write lock."""
    services = make_services(
        localfw, sqlite_store, configs_dir, policy=Policy(max_batch_without_approval=10)
    )
    try:
        ticket = services.launches.request(EDITOR_ACTOR, QSI)
        assert ticket.batch.state is BatchState.AWAITING_APPROVAL
        services.access.forget_roles()
        localfw.requests.reset()
        if click == "approve":
            batch = services.launches.approve(ADMIN_ACTOR, ticket.batch.id)
            assert batch.state is BatchState.LAUNCHING
        elif click == "drop":
            batch = services.launches.cancel_plan(EDITOR_ACTOR, ticket.batch.id)
            assert batch.state is BatchState.CANCELLED
        else:
            with pytest.raises(Conflict, match="waiting for a project admin"):
                services.launches.confirm(EDITOR_ACTOR, ticket.batch.id)
        assert localfw.requests.count() >= 1  # the cold cache was read from Flywheel
        services.workers.wait_idle(PATIENCE)
    finally:
        services.workers.shutdown()
