"""Launching and reading jobs through the gateway, against the local Flywheel."""

from __future__ import annotations

import pytest

from bot.domain import FileRef, JobSpec
from bot.flywheel.gateway import BatchApiUnsupported
from bot.flywheel.sdk_gateway import SdkGateway
from bot.localfw.server import LocalFlywheel


@pytest.fixture
def gateway(localfw: LocalFlywheel) -> SdkGateway:
    return SdkGateway.connect(localfw.sdk_api_key)


def specs(gateway: SdkGateway, count: int, tag: str) -> list[JobSpec]:
    project = gateway.find_project("gear_testing")
    assert project is not None and "license.txt" in project.files
    gear = gateway.get_gear("qsiprep-hpc")
    assert gear is not None
    license_file = FileRef(parent_type="project", parent_id=project.project_id, name="license.txt")
    sessions = gateway.sessions_with_acquisition(project.project_id, "acq-64dir_dwi")[:count]
    return [
        JobSpec(
            gear_id=gear.summary.gear_id,
            session_id=s.session_id,
            label=f"QSIPrep_{s.label}",
            config={"hmc_model": "3dSHORE"},
            inputs={"freesurfer_license": license_file},
            tags=[tag, "vm-n1-highmem-4_disk-300GB_swap-30G"],
        )
        for s in sessions
    ]


def test_a_batch_runs_one_job_per_session_with_tags_config_and_inputs(
    gateway: SdkGateway, localfw: LocalFlywheel
) -> None:
    jobs = specs(gateway, 40, "fwbot:b2345")

    batch_id = gateway.create_batch(jobs)
    assert gateway.batch_state(batch_id) == "pending"
    assert gateway.jobs_tagged("fwbot:b2345") == []  # proposed, nothing runs yet
    started = gateway.start_batch(batch_id)

    assert {j.session_id for j in started} == {j.session_id for j in jobs}
    assert all(j.job_id and j.analysis_id for j in started)
    tagged = gateway.jobs_tagged("fwbot:b2345")
    assert len(tagged) == 40
    assert {t.session_id for t in tagged} == {j.session_id for j in jobs}
    assert all(t.config["hmc_model"] == "3dSHORE" for t in tagged)
    assert all(t.state == "pending" and t.gear_name == "qsiprep-hpc" for t in tagged)
    labels = {t.session_id: t.label for t in tagged}
    assert all(labels[j.session_id] == j.label for j in jobs)


def test_launch_one_creates_an_analysis_found_by_its_tag(gateway: SdkGateway) -> None:
    [job] = specs(gateway, 1, "fwbot:bone")

    launched = gateway.launch_one(job)

    [record] = gateway.jobs_tagged("fwbot:bone")
    assert record.session_id == job.session_id
    assert record.analysis_id == launched.analysis_id


def test_runs_of_gear_pages_through_every_job_of_the_project(
    gateway: SdkGateway, localfw: LocalFlywheel
) -> None:
    jobs = specs(gateway, 240, "fwbot:bmany")
    gateway.start_batch(gateway.create_batch(jobs))
    localfw.clock.advance(3600)

    project = gateway.find_project("gear_testing")
    assert project is not None
    runs = gateway.runs_of_gear(project.project_id, "qsiprep-hpc")

    assert len(runs) == 240
    assert {r.state for r in runs} == {"complete"}
    assert all(any(f.endswith(".html.zip") for f in r.saved_files) for r in runs)


def test_a_site_without_the_batch_api_says_so(gateway: SdkGateway, localfw: LocalFlywheel) -> None:
    localfw.knobs.hide_routes(r"^/batch")

    with pytest.raises(BatchApiUnsupported):
        gateway.create_batch(specs(gateway, 2, "fwbot:bold"))
    assert gateway.jobs_tagged("fwbot:bold") == []
