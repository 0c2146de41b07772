"""What the tutorial (../shared/reference/running-analysis-gears.md) shows, written down once.

Tests compare fwbot and the local Flywheel against these answers, so they are kept
apart from the code under test (the demo world has its own copies on purpose).
"""

from __future__ import annotations

from typing import Any

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
    "fmriprep-fwheudiconv": (
        "fMRIPREP: A Robust Preprocessing Pipeline for fMRI Data [fw-heudiconv]"
    ),
    "fmriprep-hpc": "fMRIPREP: A Robust Preprocessing Pipeline for fMRI Data [fw-heudiconv]",
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

# The tutorial's example qsiprep-hpc config, verbatim.
TUTORIAL_QSIPREP_CONFIG: dict[str, Any] = {
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
