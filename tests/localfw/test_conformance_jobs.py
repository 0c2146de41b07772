"""Conformance: jobs are made, validated and tagged as Flywheel core makes them.

Every test drives the unmodified SDK over HTTP (``fw`` is fwbot's plain read-write
user, ``admin_fw`` a site admin). Each docstring names its source: an SDK endpoint or
model docstring (quoted), Flywheel core's code (scitran/core ``api/jobs``), or
"no source; stricter" where Flywheel documents nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import flywheel
import pytest

from localfw.server import LocalFlywheel
from localfw.world import World
from tests.fixtures.localfw import EDITOR, FWBOT, analysis_manifest
from tests.localfw.helpers import (
    client_for,
    license_file,
    premade,
    project,
    project_doc,
    qsiprep,
    raw,
    status_of,
)


def own_jobs(fw: Any, **kwargs: Any) -> Any:
    return fw.get_current_user_jobs(**kwargs)


# -- where jobs go ------------------------------------------------------------------
def test_premade_batch_of_an_analysis_gear_stays_on_the_session(
    localfw: LocalFlywheel, fw: Any, admin_fw: Any
) -> None:
    """SDK InputJob (the body of ``POST /batch/jobs``) has no analysis field, and
    batch_api.start_batch: 'Creates jobs from proposed inputs, returns jobs enqueued.'
    Core's batch.run enqueues premade jobs as given: no analysis is made, and the
    job's outputs are written to the session itself."""
    p, lic, gear = project(fw), license_file(fw), qsiprep(fw)
    session = p.sessions.find_first()
    batch = fw.create_batch_job_from_jobs({"jobs": [premade(gear, session, lic)]})
    [job] = fw.start_batch(batch.id)
    assert job.destination.type == "session" and job.destination.id == session.id
    assert fw.get(session.id).analyses == []
    assert fw.get_analyses("projects", p.id, "all") == []
    localfw.clock.advance(700)
    done = admin_fw.get_job(job.id)
    assert done.state == "complete" and done.saved_files
    names = [f.name for f in fw.get(session.id).files]
    assert set(done.saved_files) <= set(names)


def test_gear_run_makes_an_analysis_whose_job_writes_into_it(
    localfw: LocalFlywheel, fw: Any, admin_fw: Any
) -> None:
    """sessions_api.add_session_analysis: 'When query param "job" is "true", send JSON
    to create an analysis and job.' (gear.run always sends job=true). Core's
    AnalysisStorage.create_el sets the job's destination to the analysis and tags it
    'analysis'; Queue.enqueue_job then appends the gear name."""
    p, lic, gear = project(fw), license_file(fw), qsiprep(fw)
    session = p.sessions.find_first()
    analysis_id = gear.run(
        analysis_label="QSIPrep x",
        inputs={"freesurfer_license": lic},
        destination=session,
        tags=["fwbot:x"],
    )
    analysis = fw.get(analysis_id)
    job = admin_fw.get_job(analysis.job.id)
    assert job.destination.type == "analysis" and job.destination.id == analysis_id
    assert job.tags == ["fwbot:x", "analysis", "qsiprep-hpc"]
    assert job.parents.analysis == analysis_id and job.parents.session == session.id
    assert job.label == ""  # core: job_map.get('label', ""); gear.run sends none
    assert analysis.gear_info.name == "qsiprep-hpc"
    localfw.clock.advance(700)
    outputs = admin_fw.get_job(job.id).saved_files
    assert set(outputs) <= {f.name for f in fw.get(analysis_id).files}
    assert not set(outputs) & {f.name for f in fw.get(session.id).files}


def test_jobs_add_of_an_analysis_gear_stays_on_its_destination(fw: Any, admin_fw: Any) -> None:
    """Core's JobsHandler.add calls Queue.enqueue_job, which queues the job on the
    destination it is given; only the analyses endpoint makes analyses."""
    p, lic, gear = project(fw), license_file(fw), qsiprep(fw)
    session = p.sessions.find_first()
    job_id = fw.add_job(premade(gear, session, lic, tags=["t"], label="direct"))
    job = admin_fw.get_job(job_id)
    assert job.destination.type == "session" and job.label == "direct"
    assert job.tags == ["t", "qsiprep-hpc"]
    assert fw.get(session.id).analyses == []


def test_job_fields_and_parents_down_to_an_acquisition(fw: Any, admin_fw: Any) -> None:
    """Core's Queue.enqueue_job: 'Populate parents (including destination)'; a job keeps
    origin, destination, tags, gear_info, saved_files and failure_reason."""
    p, lic, gear = project(fw), license_file(fw), qsiprep(fw)
    session = p.sessions.find_first()
    acquisition = session.acquisitions()[0]
    body = premade(gear, session, lic)
    body["destination"] = {"type": "acquisition", "id": acquisition.id}
    job = admin_fw.get_job(fw.add_job(body))
    assert job.parents.acquisition == acquisition.id and job.parents.session == session.id
    assert job.parents.subject == session.subject.id and job.parents.project == p.id
    assert job.origin.id == "fwbot@example.org" and job.origin.type == "user"
    assert job.gear_info.name == "qsiprep-hpc" and job.gear_info.version == "0.21.4"
    assert job.saved_files == [] and job.failure_reason is None


def test_analysis_post_needs_job_true_and_a_label(localfw: LocalFlywheel, fw: Any) -> None:
    """sessions_api.add_session_analysis: 'When query param "job" is "true", send JSON
    to create an analysis and job. Otherwise, multipart/form-data to upload files'. Core:
    the analysis needs a label. Nothing is created by a refused request."""
    p, lic, gear = project(fw), license_file(fw), qsiprep(fw)
    session = p.sessions.find_first()
    job = {"gear_id": gear.id, "inputs": {"freesurfer_license": lic.ref()}}
    path = f"/sessions/{session.id}/analyses"
    assert raw(localfw, "POST", path, {"label": "a", "job": job})[0] == 400
    assert raw(localfw, "POST", path + "?job=true", {"job": job})[0] == 400
    assert raw(localfw, "POST", path + "?job=true", {"label": "", "job": job})[0] == 400
    bad = {"label": "a", "job": {**job, "config": {"hmc_model": "wrong"}}}
    assert raw(localfw, "POST", path + "?job=true", bad)[0] == 400
    assert fw.get(session.id).analyses == []
    status, body = raw(localfw, "POST", path + "?job=true", {"label": "a", "job": job})
    assert status == 200 and fw.get(body["_id"]).label == "a"


# -- validation -----------------------------------------------------------------------
@pytest.fixture
def strict_gear(small_world: World) -> str:
    """An analysis gear whose manifest uses every kind of constraint."""
    config = {
        "dof": {"type": "integer", "default": 9, "enum": [6, 9, 12]},
        "threads": {"type": "integer", "default": 1, "minimum": 1, "maximum": 8},
        "smoothing": {"type": "number", "default": 2.0},
        "verbose": {"type": "boolean", "default": False},
        "spaces": {"type": "array", "default": ["T1w"]},
        "extra": {"type": "object", "optional": True},
        "mode": {"type": "string"},
    }
    doc = small_world.add_gear(
        analysis_manifest("strict-gear", "1.0.0", config),
        category="analysis",
        created=datetime(2024, 1, 3, tzinfo=UTC),
    )
    return str(doc["_id"])


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"mode": "a", "dof": 9.0}, "'dof' must be integer"),
        ({"mode": "a", "dof": True}, "'dof' must be integer"),
        ({"mode": "a", "dof": "9"}, "'dof' must be integer"),
        ({"mode": "a", "dof": 7}, "'dof' must be one of"),
        ({"mode": "a", "threads": 0}, "'threads' must be at least 1"),
        ({"mode": "a", "threads": 9}, "'threads' must be at most 8"),
        ({"mode": "a", "smoothing": False}, "'smoothing' must be number"),
        ({"mode": "a", "verbose": "yes"}, "'verbose' must be boolean"),
        ({"mode": "a", "spaces": "T1w"}, "'spaces' must be array"),
        ({"mode": "a", "extra": []}, "'extra' must be object"),
        ({"mode": 3}, "'mode' must be string"),
        ({}, "'mode' is required"),
        ({"mode": "a", "typo": 1}, "'typo' is not an option"),
    ],
)
def test_config_is_validated_against_the_manifest(
    localfw: LocalFlywheel,
    fw: Any,
    admin_fw: Any,
    strict_gear: str,
    config: dict[str, Any],
    message: str,
) -> None:
    """Core's Queue.enqueue_job: 'validates config against gear manifest' (a JSON Schema
    draft 4 derived from it: a bool or float is no integer, an option without default
    that is not optional is required). No source; stricter: an option the manifest does not
    list is refused too. Every way of making a job checks it."""
    p, lic = project(fw), license_file(fw)
    session = p.sessions.find_first()
    body = {
        "gear_id": strict_gear,
        "destination": {"type": "session", "id": session.id},
        "inputs": {"freesurfer_license": lic.ref()},
        "config": config,
    }
    for method, path, payload in (
        ("POST", "/jobs/add", body),
        ("POST", "/batch/jobs", {"jobs": [body]}),
        ("POST", f"/sessions/{session.id}/analyses?job=true", {"label": "a", "job": body}),
    ):
        status, answer = raw(localfw, method, path, payload)
        assert status == 400, (path, answer)
        assert message in answer["message"] and "Gear config invalid" in answer["message"]
    job = admin_fw.get_job(fw.add_job({**body, "config": {"mode": "a"}}))
    assert job.config["config"] == {
        "mode": "a",
        "dof": 9,
        "threads": 1,
        "smoothing": 2.0,
        "verbose": False,
        "spaces": ["T1w"],
    }


def test_a_batch_is_checked_again_when_it_runs(
    localfw: LocalFlywheel, fw: Any, small_world: World
) -> None:
    """Core's batch.run passes every premade job through Queue.enqueue_job again: a job
    that became invalid since the batch was made is refused, and none is queued."""
    p, lic, gear = project(fw), license_file(fw), qsiprep(fw)
    sessions = p.sessions.find(limit=2)
    batch = fw.create_batch_job_from_jobs({"jobs": [premade(gear, s, lic) for s in sessions]})
    small_world.gears[gear.id]["gear"]["config"]["now_required"] = {"type": "string"}
    assert status_of(fw.start_batch, batch.id) == 400
    assert own_jobs(fw).total == 0 and fw.get_batch(batch.id).state == "pending"


def test_inputs_and_destination_must_exist(localfw: LocalFlywheel, fw: Any) -> None:
    """Core's Queue.enqueue_job: an input not 'listed in gear manifest' or without 'a
    properly formatted file reference' is a 400; the destination and input files must
    exist (a 404: the reference is valid, the thing is missing); an api-key input is
    never passed. No source; stricter: a required file input left out is a 400."""
    p, lic, gear = project(fw), license_file(fw), qsiprep(fw)
    session = p.sessions.find_first()
    good = premade(gear, session, lic)
    missing = "f" * 24
    cases = [
        ({**good, "inputs": {"no_such_input": lic.ref()}}, 400),
        ({**good, "inputs": {"freesurfer_license": {"id": lic.parent_ref.id}}}, 400),
        ({**good, "inputs": {"freesurfer_license": {**lic.ref(), "name": "nope.txt"}}}, 404),
        ({**good, "inputs": {"freesurfer_license": {**lic.ref(), "id": missing}}}, 404),
        ({**good, "inputs": {"freesurfer_license": {**lic.ref(), "type": "session"}}}, 404),
        ({**good, "inputs": {}}, 400),
        ({**good, "inputs": {**good["inputs"], "api-key": {"key": "x"}}}, 400),
        ({**good, "destination": {"type": "session", "id": missing}}, 404),
        ({**good, "destination": {"type": "group", "id": "pennlinc"}}, 400),
        ({**good, "gear_id": missing}, 404),
    ]
    for body, expected in cases:
        assert status_of(fw.add_job, body) == expected, body
        assert raw(localfw, "POST", "/batch/jobs", {"jobs": [body]})[0] == expected, body
    assert own_jobs(fw).total == 0


# -- a user's own jobs ------------------------------------------------------------------
def test_current_user_jobs_are_own_jobs_with_total_stats_and_paging(
    localfw: LocalFlywheel, fw: Any, admin_fw: Any
) -> None:
    """users_api.get_current_user_jobs: 'Return list of jobs created by the current user'
    (rtype UserJobs: total, jobs, stats), 'with optional gear name regex'; filter, limit
    and after_id as every list (no limit: one default page). What ``total`` and
    ``stats`` count is undocumented: the stricter reading a site could serve is taken,
    they describe only the page served (so a client learns how many jobs match only by
    paging to an empty or short page). No source for anchoring the gear regex: it is
    searched anywhere in the name (the reading that matches most)."""
    p, lic, gear = project(fw), license_file(fw), qsiprep(fw)
    sessions = p.sessions.find(limit=6)
    for s in sessions[:5]:
        fw.add_job(premade(gear, s, lic, tags=["x"]))
    admin_fw.add_job(premade(gear, sessions[5], lic, tags=["x"]))
    flaky = fw.lookup("gears/flaky-gear")
    fw.add_job({**premade(gear, sessions[5], lic, tags=["y"]), "gear_id": flaky.id})
    localfw.clock.advance(61)  # all running
    answer = own_jobs(fw, filter='tags="x"', limit=10)
    assert answer.total == 5 and len(answer.jobs) == 5
    assert answer.stats.running == 5 and answer.stats.pending == 0
    assert all(j.origin.id == "fwbot@example.org" for j in answer.jobs)
    pages, after = [], None
    while True:
        kwargs: dict[str, Any] = {"filter": 'tags="x"', "limit": 2}
        if after:
            kwargs["after_id"] = after
        page = own_jobs(fw, **kwargs)
        assert page.total == len(page.jobs) == sum(n or 0 for n in page.stats.to_dict().values())
        if not page.jobs:
            break
        pages.append([j.id for j in page.jobs])
        after = page.jobs[-1].id
    assert [len(x) for x in pages] == [2, 2, 1]
    assert sorted(j for page in pages for j in page) == sorted(j.id for j in answer.jobs)
    assert own_jobs(fw, gear="flaky-gear", limit=10).total == 1
    assert own_jobs(fw, gear="flaky", limit=10).total == 1  # a regex, not a name
    assert own_jobs(fw, gear="^qsiprep-hpc$", limit=10).total == 5
    assert status_of(own_jobs, fw, gear="[", limit=10) == 400
    assert own_jobs(admin_fw, limit=10).total == 1
    localfw.context.default_page_size = 2
    assert own_jobs(fw).total == len(own_jobs(fw).jobs) == 2


# -- cancel and retry -------------------------------------------------------------------
def test_a_plain_user_cancels_only_own_jobs(
    localfw: LocalFlywheel, fw: Any, admin_fw: Any, small_world: World
) -> None:
    """jobs_api.modify_job: 'Rejects any change to a job that is not currently in
    'pending' or 'running' state.' Core's JobHandler.put: a non-admin 'can only cancel
    jobs they spawned' and 'can only cancel jobs'. A role with jobs_manage_others may
    cancel others' jobs on its project (the SDK's Action ``jobs_manage_others``). Core lets
    a site admin change more; no source says what, so any body but exactly
    {"state": "cancelled"} is a 400, for everyone (stricter reading)."""
    small_world.grant(project_doc(small_world), FWBOT, "read-write")  # a plain role here
    p, lic, gear = project(fw), license_file(fw), qsiprep(fw)
    session = p.sessions.find_first()
    mine = fw.add_job(premade(gear, session, lic))
    theirs = admin_fw.add_job(premade(gear, session, lic))
    assert status_of(fw.modify_job, theirs, {"state": "cancelled"}) == 403
    assert status_of(fw.modify_job, mine, {"state": "cancelled", "tags": ["x"]}) == 400
    assert status_of(fw.modify_job, mine, {"priority": "high"}) == 400
    assert status_of(admin_fw.modify_job, theirs, {"state": "running"}) == 400
    editor = client_for(localfw, EDITOR)  # read-write: no jobs_manage_others
    assert status_of(editor.modify_job, mine, {"state": "cancelled"}) == 403
    small_world.grant(project_doc(small_world), EDITOR, "admin")
    editor.modify_job(mine, {"state": "cancelled"})
    assert admin_fw.get_job(mine).state == "cancelled"
    assert status_of(fw.modify_job, mine, {"state": "cancelled"}) == 400
    admin_fw.modify_job(theirs, {"state": "cancelled"})


def test_retry_once_for_failed_jobs_by_who_may_cancel(
    localfw: LocalFlywheel, fw: Any, admin_fw: Any
) -> None:
    """jobs_api.retry_job: 'The job must have a state of 'failed', and must not have
    already been retried. The failed jobs config is copied to a new job.' Core's
    Queue.retry copies the job (origin included) and marks the old one ``retried``.
    Core's JobHandler.retry checks ``ro`` on every input's container and ``rw`` on the
    destination; no source says whether the origin rule applies too, so the stricter
    reading: both (the cancel right and core's checks)."""
    p, lic = project(fw), license_file(fw)
    flaky = fw.lookup("gears/flaky-gear")
    session = p.sessions.find_first()
    job_id = fw.add_job({**premade(flaky, session, lic), "config": {}})
    assert status_of(fw.retry_job, job_id) == 400  # pending, not failed
    localfw.clock.advance(700)
    assert admin_fw.get_job(job_id).state == "failed"
    editor = client_for(localfw, EDITOR)
    assert status_of(editor.retry_job, job_id) == 403
    new_id = fw.retry_job(job_id)
    new = admin_fw.get_job(new_id)
    assert (
        new.previous_job_id == job_id and new.attempt == 2 and new.origin.id == "fwbot@example.org"
    )
    assert (
        new.tags == admin_fw.get_job(job_id).tags and admin_fw.get_job(job_id).retried is not None
    )
    assert status_of(fw.retry_job, job_id) == 400
    # the origin whose role on the destination's project no longer lets it run jobs
    second = fw.add_job({**premade(flaky, session, lic), "config": {}})
    localfw.clock.advance(700)
    localfw.world.grant(project_doc(localfw.world), FWBOT, "read-only")
    assert admin_fw.get_job(second).state == "failed"
    assert status_of(fw.retry_job, second) == 403
    assert status_of(admin_fw.retry_job, job_id) == 400


# -- batches ----------------------------------------------------------------------------
def test_batch_states_and_owner(localfw: LocalFlywheel, fw: Any, admin_fw: Any) -> None:
    """batch_api.cancel_batch: 'Moves a 'running' batch job to 'cancelled'.' and
    start_batch: 'Moves 'pending' batch job to 'running'.' Core's BatchHandler answers
    400 'Can only cancel started batch jobs.' / 'Can only run pending batch jobs.', and
    only the batch's origin or a site admin may read, run or cancel it
    (_check_permission); get_all_batches: 'Get a list of batch jobs the user has
    created.'"""
    p, lic, gear = project(fw), license_file(fw), qsiprep(fw)
    sessions = p.sessions.find(limit=2)
    batch = fw.create_batch_job_from_jobs({"jobs": [premade(gear, s, lic) for s in sessions]})
    assert status_of(fw.cancel_batch, batch.id) == 400  # pending: not started
    editor = client_for(localfw, EDITOR)
    for call in (editor.get_batch, editor.start_batch, editor.cancel_batch):
        assert status_of(call, batch.id) == 403
    assert [b.id for b in fw.get_all_batches()] == [batch.id]
    assert editor.get_all_batches() == []
    assert [b.id for b in admin_fw.get_all_batches()] == [batch.id]
    jobs = fw.start_batch(batch.id)
    assert status_of(fw.start_batch, batch.id) == 400
    assert status_of(editor.cancel_batch, batch.id) == 403
    localfw.clock.advance(700)
    assert fw.get_batch(batch.id).state == "complete"
    assert status_of(fw.cancel_batch, batch.id) == 400  # every job has ended
    assert {admin_fw.get_job(j.id).batch for j in jobs} == {batch.id}


def test_batch_jobs_are_checked_like_jobs_add(localfw: LocalFlywheel, small_world: World) -> None:
    """Core's BatchHandler.post_with_jobs passes each job to Queue.enqueue_job with the
    caller's permission check, prefixing errors 'Job N: '."""
    viewer_key = localfw.key_for("viewer@example.org")
    admin = flywheel.Client(localfw.admin_sdk_api_key)
    p, lic, gear = project(admin), license_file(admin), qsiprep(admin)
    session = p.sessions.find_first()
    status, body = raw(
        localfw, "POST", "/batch/jobs", {"jobs": [premade(gear, session, lic)]}, key=viewer_key
    )
    assert status == 403 and body["message"].startswith("Job 0: ")
    assert small_world.batches == {}
