"""The tutorial's own steps, run with the unmodified SDK against the demo world.

Each assertion is an answer the tutorial shows (../shared/reference/running-analysis-gears.md).
"""

from __future__ import annotations

from typing import Any

import flywheel
import pytest

from bot.localfw.server import LocalFlywheel

FMRIPREP_HEUDICONV = "fMRIPREP: A Robust Preprocessing Pipeline for fMRI Data [fw-heudiconv]"
TUTORIAL_GEARS = {
    "export-dicom-file-info": "Export DICOM File Header Values to CSV",
    "fmriprep": "fMRIPREP: A Robust Preprocessing Pipeline for fMRI Data",
    "forwardmodel": "forwardModel: non-linear fitting of models to fMRI data",
    "dcm2niix": "DCM2NIIX: dcm2nii DICOM to NIfTI converter",
    "curate-bids": "BIDS Curation",
    "thickantscamke": "Thickness_ANTS",
    "ashsharpicv": "AshsHarpICV",
    "qsiprep-fw": "QSIPREP: workflows for preprocessing and reconstructing q-space images",
    "ldogstruct": "ldogStruct: anatomical pre-processing for the LDOG project",
    "fmriprep-fwheudiconv": FMRIPREP_HEUDICONV,
    "fmriprep-hpc": FMRIPREP_HEUDICONV,
}

TUTORIAL_FILES = [
    "controllability.json",
    "license.txt",
    "sample_heuristic.py",
    "CHANGES",
    "README",
    "audit_log-20191003-184048.csv",
    "gear_testing_heuristic.py",
    "participants.tsv",
    "selfreport_scales_redcap_v2.R",
    "selfreport_scales_redcap_20190524_cleaned.csv",
    "selfreport_scales_redcap_v3.R",
    "grmpy_heuristic_v3.py",
    "audit_log-20200109-154752.csv",
    "GRMPY_selfReportScoringCode_v4.R",
]


@pytest.fixture
def fw(demo_localfw: LocalFlywheel) -> Any:
    return flywheel.Client(demo_localfw.sdk_api_key)


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


def test_the_tutorials_session_loop_finds_1329_sessions_and_launches(fw: Any) -> None:
    project = fw.projects.find_first("label=gear_testing")
    sessions_to_run = []
    for session in project.sessions():
        has_dwi = "acq-64dir_dwi" in [acq.label for acq in session.acquisitions()]
        if has_dwi:
            sessions_to_run.append(session)
    assert len(sessions_to_run) == 1329

    qsiprep = fw.lookup("gears/qsiprep-hpc")
    config = {
        "hmc_model": "eddy",
        "use_syn_sdc": False,
        "save_outputs": True,
        "dwi_denoise_window": 5,
        "unringing_method": "mrdegibbs",
        "do_reconall": False,
        "combine_all_dwis": True,
        "force_spatial_normalization": True,
        "output_resolution": 2.0,
        "output_space": "T1w",
        "sloppy": False,
    }
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
