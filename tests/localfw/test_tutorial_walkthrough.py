"""The tutorial's own steps, run with the unmodified SDK against the demo world.

Each assertion is an answer the tutorial shows (../shared/reference/running-analysis-gears.md).
The tutorial lists every job with ``fw.jobs.find``, which Flywheel serves to site admins
only, so its reader is the demo's site admin here; fwbot's plain key is refused that step.
"""

from __future__ import annotations

from typing import Any

import flywheel
import pytest

from doubles.tutorial import TUTORIAL_FILES, TUTORIAL_GEARS, TUTORIAL_QSIPREP_CONFIG
from localfw.server import LocalFlywheel


@pytest.fixture
def fw(demo_localfw: LocalFlywheel) -> Any:
    return flywheel.Client(demo_localfw.admin_sdk_api_key)


def test_finding_the_project_and_the_gears(fw: Any) -> None:
    project = fw.projects.find_first("label=gear_testing")
    assert project.label == "gear_testing"
    listed = {gear.gear.name: gear.gear.label for gear in fw.get_all_gears()}
    for name, label in TUTORIAL_GEARS.items():
        assert listed[name] == label
    fmriprep = fw.lookup("gears/fmriprep-fwheudiconv")
    assert fmriprep.gear.label == TUTORIAL_GEARS["fmriprep-fwheudiconv"]
    assert fmriprep.gear.version == "0.2.2_1.5.2"


def test_the_fmriprep_config_is_the_one_the_tutorial_prints(fw: Any) -> None:
    config = fw.lookup("gears/fmriprep-fwheudiconv").gear.config
    assert config["save_intermediate_work"]["default"] is False
    assert config["save_intermediate_work"]["type"] == "boolean"
    assert config["force_syn"]["type"] == "boolean"
    assert config["bold2t1w_dof"] == {
        "default": 9,
        "enum": [6, 9, 12],
        "type": "integer",
        "description": config["bold2t1w_dof"]["description"],
    }
    assert config["bold2t1w_dof"]["description"].startswith("Degrees of freedom")
    assert config["intermediate_folders"]["default"] == ""


def test_the_project_files_list_and_the_license_at_index_1(fw: Any) -> None:
    project = fw.projects.find_first("label=gear_testing")
    assert [f.name for f in project.files] == TUTORIAL_FILES
    assert project.files[1].name == "license.txt"


def test_the_tutorials_session_loop_sees_one_default_page_and_launches(
    demo_localfw: LocalFlywheel, fw: Any
) -> None:
    """The tutorial's ``project.sessions()`` sends no ``limit``: a current site answers one
    default page (the SDK's finder: "core-api now requires a page limit"), so its loop
    sees the first 100 sessions. Paging (``iter_find``) finds the tutorial's 1,329."""
    project = fw.projects.find_first("label=gear_testing")
    sessions_to_run = []
    for session in project.sessions():
        has_dwi = "acq-64dir_dwi" in [acq.label for acq in session.acquisitions()]
        if has_dwi:
            sessions_to_run.append(session)
    assert len(project.sessions()) == demo_localfw.context.default_page_size == 100
    assert 0 < len(sessions_to_run) <= 100
    dwi = fw.acquisitions.iter_find(f"parents.project={project.id},label=acq-64dir_dwi")
    assert len({a.parents.session for a in dwi}) == 1329

    qsiprep = fw.lookup("gears/qsiprep-hpc")
    config = TUTORIAL_QSIPREP_CONFIG
    inputs = {"freesurfer_license": project.files[1]}
    analysis_ids = [
        qsiprep.run(
            analysis_label="QSIPrep_tutorial",
            config=config,
            inputs=inputs,
            destination=ses,
            tags=["vm-n1-highmem-4_disk-300GB_swap-30G"],
        )
        for ses in sessions_to_run[:3]
    ]
    analysis = fw.get(analysis_ids[0])
    assert analysis.label == "QSIPrep_tutorial"
    jobs = fw.jobs.find("state=pending,gear_info.name=qsiprep-hpc", limit=2000)
    assert len(jobs) == 3
    for job in jobs:
        job.change_state("cancelled")
    assert fw.jobs.find("state=pending,gear_info.name=qsiprep-hpc", limit=2000) == []


def test_fwbot_may_launch_but_not_list_every_job(demo_localfw: LocalFlywheel) -> None:
    bot = flywheel.Client(demo_localfw.sdk_api_key)
    project = bot.projects.find_first("label=gear_testing")
    session = project.sessions.find_first()
    bot.lookup("gears/qsiprep-hpc").run(
        analysis_label="QSIPrep_tutorial",
        config=TUTORIAL_QSIPREP_CONFIG,
        inputs={"freesurfer_license": project.files[1]},
        destination=session,
    )
    with pytest.raises(flywheel.ApiException) as info:
        bot.jobs.find("state=pending,gear_info.name=qsiprep-hpc", limit=2000)
    assert info.value.status == 403
    assert bot.get_current_user_jobs(filter="state=pending").total == 1
