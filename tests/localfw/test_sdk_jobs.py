"""Launching, watching, cancelling and retrying jobs through the unmodified SDK.

``fw`` is fwbot's plain user; ``admin_fw`` a site admin, who alone may list all jobs."""

from __future__ import annotations

from typing import Any

import flywheel
import pytest

from localfw.server import LocalFlywheel


def own_jobs(fw: Any, filter_: str) -> list[Any]:
    """The caller's jobs matching the filter (``GET /users/self/jobs``)."""
    return list(fw.get_current_user_jobs(filter=filter_, limit=1000).jobs)


def setup(fw: Any) -> tuple[Any, Any, Any]:
    project = fw.projects.find_first("label=gear_testing")
    license_file = next(f for f in fw.get(project.id).files if f.name == "license.txt")
    return project, license_file, fw.lookup("gears/qsiprep-hpc")


def run_on(fw: Any, gear: Any, session: Any, license_file: Any, tag: str) -> Any:
    return gear.run(
        analysis_label=f"QSIPrep {tag}",
        config={"hmc_model": "none"},
        inputs={"freesurfer_license": license_file},
        destination=session,
        tags=[tag],
    )


def test_gear_run_creates_analysis_and_job(localfw: LocalFlywheel, fw: Any, admin_fw: Any) -> None:
    project, lic, gear = setup(fw)
    session = project.sessions.find_first()
    analysis_id = run_on(fw, gear, session, lic, "fwbot:b7k2q")
    assert localfw.requests.count("POST", "/sessions/{cid}/analyses") == 1
    analysis = fw.get(session.id).analyses[0]
    assert analysis.id == analysis_id and analysis.label == "QSIPrep fwbot:b7k2q"
    assert analysis.parent.id == session.id
    job = admin_fw.get_job(analysis.job.id)
    assert job.destination.type == "analysis" and job.destination.id == analysis_id
    assert job.state == "pending" and job.tags == ["fwbot:b7k2q", "analysis", "qsiprep-hpc"]
    assert job.config["config"] == {"hmc_model": "none", "output_resolution": 2.0}
    assert job.inputs["freesurfer_license"].name == "license.txt"
    assert job.gear_info.name == "qsiprep-hpc" and job.gear_info.version == "0.21.4"
    assert job.parents.session == session.id and job.parents.project == project.id
    assert job.parents.analysis == analysis_id


def test_jobs_progress_on_the_clock_and_leave_outputs(
    localfw: LocalFlywheel, fw: Any, admin_fw: Any
) -> None:
    project, lic, gear = setup(fw)
    session = project.sessions.find_first()
    run_on(fw, gear, session, lic, "t1")
    [job] = own_jobs(fw, "tags=t1")
    localfw.clock.advance(30)
    assert admin_fw.get_job(job.id).state == "pending"
    localfw.clock.advance(60)
    assert admin_fw.get_job(job.id).state == "running"
    localfw.clock.advance(600)
    done = admin_fw.get_job(job.id)
    assert done.state == "complete"
    subject = session.subject.label
    report = f"{subject}_{session.label}_qsiprep.html.zip"
    assert report in done.saved_files
    analysis = fw.get(session.id).analyses[0]
    assert analysis.job.state == "complete"
    assert report in [f.name for f in analysis.files]
    logs = "".join(line.msg for line in fw.get_job_logs(job.id).logs)
    assert "exited with code 0" in logs


def test_failed_job_retry_and_cancel_rules(localfw: LocalFlywheel, fw: Any, admin_fw: Any) -> None:
    project, lic, _ = setup(fw)
    flaky = fw.lookup("gears/flaky-gear")
    session = project.sessions.find_first()
    flaky.run(
        analysis_label="flaky", inputs={"freesurfer_license": lic}, destination=session, tags=["t2"]
    )
    [job] = own_jobs(fw, "tags=t2")
    localfw.clock.advance(700)
    failed = admin_fw.get_job(job.id)
    assert failed.state == "failed" and failed.failure_reason
    assert "exited with code 1" in "".join(x.msg for x in fw.get_job_logs(job.id).logs)
    with pytest.raises(flywheel.ApiException) as info:
        failed.change_state("cancelled")
    assert info.value.status == 400
    new_id = fw.retry_job(job.id)  # the SDK unwraps InsertedId to the id
    retried = admin_fw.get_job(new_id)
    assert retried.previous_job_id == job.id and retried.attempt == 2
    assert retried.state == "pending"
    with pytest.raises(flywheel.ApiException) as info:
        fw.retry_job(job.id)
    assert info.value.status == 400
    retried.change_state("cancelled")
    localfw.clock.advance(10_000)
    assert admin_fw.get_job(new_id).state == "cancelled"
    with pytest.raises(flywheel.ApiException) as info:
        admin_fw.get_job("ffffffffffffffffffffffff")
    assert info.value.status == 404


def test_jobs_find_filters_and_paging(localfw: LocalFlywheel, fw: Any, admin_fw: Any) -> None:
    project, lic, gear = setup(fw)
    sessions = project.sessions.find(limit=260)
    jobs = [
        {
            "gear_id": gear.id,
            "destination": {"type": "session", "id": s.id},
            "inputs": {"freesurfer_license": lic.ref()},
            "config": {},
            "tags": ["fwbot:many"],
            "label": "QSIPrep many",
        }
        for s in sessions
    ]
    batch = fw.create_batch_job_from_jobs({"jobs": jobs})
    fw.start_batch(batch.id)
    # listing every job is a site admin's query
    found = list(admin_fw.jobs.iter_find("tags=fwbot:many", "gear_info.name=qsiprep-hpc"))
    assert len(found) == 260 and len({j.id for j in found}) == 260
    assert len(admin_fw.jobs.find("tags=fwbot:many", limit=7)) == 7
    assert admin_fw.jobs.find("state=running", limit=1000) == []
    pending = admin_fw.jobs.find("destination.type=session", "state=|[pending,running]", limit=1000)
    assert len(pending) == 260
    assert len(admin_fw.jobs.find(f"parents.session={sessions[0].id}", limit=1000)) == 1
    assert admin_fw.jobs.find("attempt>1", limit=5) == []
    first = found[0]
    assert first.inputs[0].input == "freesurfer_license"  # list shape on GET /jobs
    assert len(own_jobs(fw, "tags=fwbot:many")) == 260  # the plain user: its own jobs


def test_batch_of_premade_jobs(localfw: LocalFlywheel, fw: Any, admin_fw: Any) -> None:
    """Premade jobs are queued as given: on the session, no analysis, outputs on it."""
    project, lic, gear = setup(fw)
    sessions = project.sessions.find(limit=3)
    jobs = [
        {
            "gear_id": gear.id,
            "destination": {"type": "session", "id": s.id},
            "inputs": {"freesurfer_license": lic.ref()},
            "config": {"hmc_model": "eddy"},
            "tags": ["fwbot:bat"],
            "label": "QSIPrep_batch",
        }
        for s in sessions
    ]
    localfw.requests.reset()
    proposal = fw.create_batch_job_from_jobs({"jobs": jobs})
    assert proposal.state == "pending" and localfw.requests.writes()[0].route == "/batch/jobs"
    started = fw.start_batch(proposal.id)
    assert len(started) == 3 and all(j.id and j.state == "pending" for j in started)
    assert localfw.requests.count("POST", "/batch/{id}/run") == 1
    for s, job in zip(sessions, started, strict=True):
        assert fw.get(s.id).analyses == []
        assert job.destination.id == s.id and job.destination.type == "session"
        assert job.label == "QSIPrep_batch" and job.tags == ["fwbot:bat", "qsiprep-hpc"]
    assert fw.get_batch(proposal.id).state == "running"
    assert sorted(fw.get_batch(proposal.id).jobs) == sorted(j.id for j in started)
    with pytest.raises(flywheel.ApiException) as info:
        fw.start_batch(proposal.id)
    assert info.value.status == 400
    localfw.clock.advance(61)  # all running now: nothing pending to cancel
    assert fw.cancel_batch(proposal.id) == 0
    localfw.clock.advance(700)
    assert {admin_fw.get_job(j.id).state for j in started} == {"complete"}
    # a cancelled batch lets its running jobs finish; their outputs land on the session
    assert any(f.name.endswith("_qsiprep.html.zip") for f in fw.get(sessions[0].id).files)


def test_cancel_batch_cancels_pending(localfw: LocalFlywheel, fw: Any) -> None:
    project, _lic, _gear = setup(fw)
    converter = fw.lookup("gears/dcm2niix")  # no file inputs: a classic proposal matches
    proposal = converter.propose_batch(project.sessions.find(limit=4), tags=["fwbot:prop"])
    assert len(proposal.matched) == 4
    started = fw.start_batch(proposal.id)
    assert len(started) == 4
    assert all(j.tags == ["fwbot:prop", "batch", "dcm2niix"] for j in started)
    assert fw.cancel_batch(proposal.id) == 4
    localfw.clock.advance(10_000)
    assert {j.state for j in own_jobs(fw, "tags=fwbot:prop")} == {"cancelled"}


def test_bad_launches_are_rejected(fw: Any) -> None:
    project, lic, gear = setup(fw)
    session = project.sessions.find_first()
    bad = {
        "gear_id": gear.id,
        "destination": {"type": "session", "id": session.id},
        "inputs": {"freesurfer_license": {**lic.ref(), "name": "missing.txt"}},
    }
    with pytest.raises(flywheel.ApiException) as info:
        fw.create_batch_job_from_jobs({"jobs": [bad]})
    assert info.value.status == 404  # a file that does not exist
    with pytest.raises(flywheel.ApiException) as info:
        fw.create_batch_job_from_jobs({"jobs": [{**bad, "gear_id": "f" * 24}]})
    assert info.value.status == 404
