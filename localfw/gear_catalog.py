"""Gear manifests for the local Flywheel's demo world.

The gears are the ones the PennLINC tutorial lists (running-analysis-gears.md),
with labels exactly as it prints them, plus a few the lab also used. The
manifests have the manifest.json shape so that `/fw gear NAME`, saved-config
validation and launches are exercised on realistic data: typed config options
with defaults, enums and bounds, required and optional file inputs, and an
api-key input. They are built from small helpers so every gear family shares
one definition of its options.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

Doc = dict[str, Any]


# -- helpers ---------------------------------------------------------------
def opt(
    type_: str,
    default: Any,
    description: str,
    *,
    enum: list[Any] | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    optional: bool | None = None,
) -> Doc:
    """One config option; ``default=None`` means the option has no default (optional)."""
    doc: Doc = {"type": type_, "description": description}
    if default is not None:
        doc["default"] = default
    if enum is not None:
        doc["enum"] = enum
    if minimum is not None:
        doc["minimum"] = minimum
    if maximum is not None:
        doc["maximum"] = maximum
    if optional is not None:
        doc["optional"] = optional
    elif default is None:
        doc["optional"] = True
    return doc


def file_input(description: str, *, optional: bool = False, types: list[str] | None = None) -> Doc:
    """A file input; ``types`` restricts Flywheel file types (e.g. nifti, dicom)."""
    doc: Doc = {"base": "file", "description": description, "optional": optional}
    if types:
        doc["type"] = {"enum": types}
    return doc


def api_key_input() -> Doc:
    """Gears that read or write Flywheel themselves get the launcher's key."""
    return {"base": "api-key", "read-only": False}


def manifest(
    *,
    name: str,
    label: str,
    version: str,
    description: str,
    author: str,
    source: str,
    category: str,
    suite: str,
    image: str,
    inputs: Doc,
    config: Doc,
    maintainer: str = "PennLINC <pennlinc@pennlinc.example>",
    license_: str = "BSD-3-Clause",
    url: str | None = None,
    cite: str | None = None,
) -> Doc:
    """A manifest.json document."""
    doc: Doc = {
        "name": name,
        "label": label,
        "description": description,
        "version": version,
        "author": author,
        "maintainer": maintainer,
        "license": license_,
        "source": source,
        "url": url or source,
        "custom": {
            "gear-builder": {"category": category, "image": f"{image}:{version}"},
            "flywheel": {"suite": suite},
        },
        "inputs": inputs,
        "config": config,
        "environment": {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
        "command": "/flywheel/v0/run",
    }
    if cite:
        doc["cite"] = cite
    return doc


# -- fMRIPrep family -------------------------------------------------------
FMRIPREP_CITE = (
    "Esteban O, Markiewicz CJ, Blair RW, et al. fMRIPrep: a robust preprocessing pipeline "
    "for functional MRI. Nat Methods. 2019;16(1):111-116. doi:10.1038/s41592-018-0235-4"
)
QSIPREP_CITE = (
    "Cieslak M, Cook PA, He X, et al. QSIPrep: an integrative platform for preprocessing "
    "and reconstructing diffusion MRI data. Nat Methods. 2021;18(7):775-778."
)


def fmriprep_config(*, newest: bool, freesurfer_key: str = "fs_no_reconall") -> Doc:
    """fMRIPrep's options; the four the tutorial prints come first, worded as it prints them.

    Older releases lack ``intermediate_folders`` (it arrived with the newest
    build), so pinning an old version with that key is a validation error.
    """
    config: Doc = {
        "save_intermediate_work": opt(
            "boolean",
            False,
            "Zip and save working directory with intermediate files. [default=false]",
        ),
        "force_syn": opt(
            "boolean",
            False,
            "EXPERIMENTAL/TEMPORARY: Use SyN correction in addition to fieldmap correction, "
            "if available. [ default = false ]",
        ),
        "bold2t1w_dof": opt(
            "integer",
            9,
            "Degrees of freedom when registering BOLD to T1w images. 9 (rotation, translation, "
            "and scaling) is used by default to compensate for field inhomogeneities. "
            "Possible choices: 6, 9, 12. [default=9]",
            enum=[6, 9, 12],
        ),
    }
    if newest:
        config["intermediate_folders"] = opt(
            "string",
            "",
            "Space separated list of FOLDERS to retain from the intermediate work directory.",
        )
    freesurfer_text = {
        "fs_no_reconall": "Disable FreeSurfer surface preprocessing. [default=false]",
        "skip_freesurfer": "Skip FreeSurfer recon-all; surfaces and CIFTI outputs are not "
        "produced. [default=false]",
    }[freesurfer_key]
    config |= {
        "output_spaces": opt(
            "string",
            "MNI152NLin2009cAsym",
            "Standard and non-standard spaces to resample anatomical and functional images to, "
            "separated by spaces (e.g. 'MNI152NLin2009cAsym:res-2 anat fsnative'). "
            "[default=MNI152NLin2009cAsym]",
        ),
        freesurfer_key: opt("boolean", False, freesurfer_text),
        "ignore": opt(
            "string",
            "",
            "Ignore selected aspects of the input dataset to disable corresponding parts of "
            "the workflow. Possible choices: fieldmaps, slicetiming, sbref. [default='']",
            enum=["", "fieldmaps", "slicetiming", "sbref"],
        ),
        "use_syn_sdc": opt(
            "boolean",
            False,
            "EXPERIMENTAL: Use fieldmap-free distortion correction. [default=false]",
        ),
        "use_aroma": opt(
            "boolean",
            False,
            "Add ICA-AROMA to your preprocessing stream. [default=false]",
        ),
        "aroma_melodic_dimensionality": opt(
            "integer",
            -200,
            "Exact or maximum number of MELODIC components to estimate (positive = exact, "
            "negative = maximum). [default=-200]",
            minimum=-500,
            maximum=500,
        ),
        "fd_spike_threshold": opt(
            "number",
            0.5,
            "Threshold for flagging a frame as an outlier on the basis of framewise "
            "displacement (mm). [default=0.5]",
            minimum=0,
        ),
        "dvars_spike_threshold": opt(
            "number",
            1.5,
            "Threshold for flagging a frame as an outlier on the basis of standardised DVARS. "
            "[default=1.5]",
            minimum=0,
        ),
        "skull_strip_template": opt(
            "string",
            "OASIS30ANTs",
            "Select a template for skull-stripping with antsBrainExtraction. [default=OASIS30ANTs]",
            enum=["OASIS30ANTs", "NKI"],
        ),
        "cifti_output": opt(
            "boolean",
            False,
            "Output BOLD in CIFTI dense timeseries (91k grayordinates). [default=false]",
        ),
        "task_id": opt(
            "string",
            "",
            "Select a specific task to be processed (BIDS task label without 'task-'). "
            "[default='' (all tasks)]",
        ),
        "anat_only": opt("boolean", False, "Run anatomical workflows only. [default=false]"),
        "dummy_scans": opt(
            "integer",
            None,
            "Number of non-steady-state volumes; detected automatically when not set.",
            minimum=0,
        ),
        "sloppy": opt(
            "boolean",
            False,
            "Use low-quality tools for speed - TESTING ONLY. [default=false]",
        ),
    }
    return config


def license_and_t1w_inputs() -> Doc:
    """What the fmriprep and qsiprep families share: a FreeSurfer license, an optional T1w."""
    return {
        "freesurfer_license": file_input(
            "FreeSurfer license.txt file (https://surfer.nmr.mgh.harvard.edu/registration.html)",
            types=["text"],
        ),
        "t1w_anatomy": file_input(
            "T1-weighted anatomy to use instead of the session's BIDS T1w images",
            optional=True,
            types=["nifti"],
        ),
    }


def fmriprep_inputs(*, bidsignore: bool = True) -> Doc:
    """The family needs a FreeSurfer license; fw-heudiconv builds also take a .bidsignore."""
    inputs: Doc = {
        "api_key": api_key_input(),
        **license_and_t1w_inputs(),
        "fs_subjects_dir": file_input(
            "Zip of a previous FreeSurfer run for this subject, to reuse its surfaces",
            optional=True,
            types=["archive"],
        ),
    }
    if bidsignore:
        inputs["bidsignore"] = file_input(
            "A .bidsignore file passed to the BIDS validator", optional=True
        )
    return inputs


# -- QSIPrep family --------------------------------------------------------
def qsiprep_config(*, newest: bool) -> Doc:
    """QSIPrep's options, covering every key of the tutorial's qsiprep-hpc config.

    ``unringing_method`` arrived with the newest build, so older pins reject it.
    """
    config: Doc = {
        "hmc_model": opt(
            "string",
            "eddy",
            "Model used to generate target images for head motion correction. 'eddy' uses "
            "FSL's eddy; '3dSHORE' uses SHORELine (needed for non-shelled schemes). "
            "[default=eddy]",
            enum=["eddy", "3dSHORE", "none"],
        ),
        "use_syn_sdc": opt(
            "boolean",
            False,
            "EXPERIMENTAL: Use fieldmap-free distortion correction. [default=false]",
        ),
        "force_syn": opt(
            "boolean",
            False,
            "EXPERIMENTAL/TEMPORARY: Use SyN correction in addition to fieldmap correction, "
            "if available. [default=false]",
        ),
        "save_outputs": opt(
            "boolean",
            False,
            "Zip and save the full qsiprep output directory, not just the HTML report. "
            "[default=false]",
        ),
        "save_intermediate_work": opt(
            "boolean",
            False,
            "Zip and save working directory with intermediate files. [default=false]",
        ),
        "dwi_denoise_window": opt(
            "integer",
            5,
            "Window size in voxels for MP-PCA denoising (dwidenoise); odd values only. [default=5]",
            enum=[3, 5, 7, 9],
        ),
    }
    if newest:
        config["unringing_method"] = opt(
            "string",
            "none",
            "Method for Gibbs-ringing removal. 'mrdegibbs' uses MRtrix3. [default=none]",
            enum=["none", "mrdegibbs"],
        )
    config |= {
        "do_reconall": opt(
            "boolean",
            False,
            "Run the FreeSurfer recon-all pipeline on the T1w image. [default=false]",
        ),
        "combine_all_dwis": opt(
            "boolean",
            False,
            "Combine all DWI series of a session into one preprocessed output. [default=false]",
        ),
        "denoise_before_combining": opt(
            "boolean",
            True,
            "Run dwidenoise on each series before concatenating them. [default=true]",
        ),
        "force_spatial_normalization": opt(
            "boolean",
            False,
            "Compute the T1w-to-template transform even when the output space is T1w. "
            "[default=false]",
        ),
        "output_resolution": opt(
            "number",
            1.25,
            "Isotropic voxel size in mm of the preprocessed DWI outputs. [default=1.25]",
            minimum=0.5,
            maximum=5.0,
        ),
        "output_space": opt(
            "string",
            "T1w",
            "Space into which the preprocessed DWI images are resampled. [default=T1w]",
            enum=["T1w", "template"],
        ),
        "b0_threshold": opt(
            "integer",
            100,
            "Any value in the .bval file below this is treated as a b=0 image. [default=100]",
            minimum=0,
            maximum=1000,
        ),
        "b0_motion_corr_to": opt(
            "string",
            "iterative",
            "Align b=0 images to the first one or to an iterative template. [default=iterative]",
            enum=["iterative", "first"],
        ),
        "b0_to_t1w_transform": opt(
            "string",
            "Rigid",
            "Transform used to register the b=0 reference to the T1w image. [default=Rigid]",
            enum=["Rigid", "Affine"],
        ),
        "impute_slice_threshold": opt(
            "number",
            0.0,
            "Impute slices whose outlier count exceeds this many SDs; 0 disables. [default=0]",
            minimum=0.0,
        ),
        "recon_builtin": opt(
            "string",
            "",
            "Run one of qsiprep's built-in reconstruction workflows after preprocessing. "
            "[default='' (none)]",
            enum=[
                "",
                "mrtrix_multishell_msmt",
                "mrtrix_singleshell_ss3t",
                "dsi_studio_gqi",
                "amico_noddi",
                "dipy_mapmri",
            ],
        ),
        "sloppy": opt(
            "boolean",
            False,
            "Use low-quality tools for speed - TESTING ONLY. [default=false]",
        ),
    }
    return config


def qsiprep_inputs() -> Doc:
    """QSIPrep needs a FreeSurfer license; a custom recon spec and eddy parameters are optional."""
    return {
        "api_key": api_key_input(),
        **license_and_t1w_inputs(),
        # JSON is "source code" to Flywheel (core's api/filetypes.json)
        "recon_spec": file_input(
            "JSON reconstruction spec (overrides recon_builtin)",
            optional=True,
            types=["source code"],
        ),
        "eddy_config": file_input(
            "JSON of extra arguments for FSL eddy", optional=True, types=["source code"]
        ),
        "bidsignore": file_input("A .bidsignore file passed to the BIDS validator", optional=True),
    }


# -- other gears -----------------------------------------------------------
def dcm2niix_config(*, newest: bool) -> Doc:
    config: Doc = {
        "bids_sidecar": opt(
            "string",
            "y",
            "Output a BIDS sidecar JSON: 'y' with images, 'n' none, 'o' sidecar only. [default=y]",
            enum=["y", "n", "o"],
        ),
        "compress_images": opt(
            "string",
            "y",
            "Gzip the NIfTI outputs: 'y' pigz, 'i' internal, 'n' none. [default=y]",
            enum=["y", "i", "n"],
        ),
        "filename": opt(
            "string",
            "%f",
            "Output filename pattern (%f folder, %p protocol, %s series ...). [default=%f]",
        ),
        "merge2d": opt("boolean", False, "Merge 2D slices from the same series. [default=false]"),
        "crop": opt("boolean", False, "Crop 3D T1 acquisitions. [default=false]"),
        "anonymize_bids": opt(
            "boolean", True, "Remove identifying fields from the BIDS sidecar. [default=true]"
        ),
        "ignore_errors": opt(
            "boolean",
            False,
            "Keep outputs even when dcm2niix exits with an error. [default=false]",
        ),
    }
    if newest:
        config["pydeface"] = opt(
            "boolean", False, "Deface the NIfTI outputs with pydeface. [default=false]"
        )
    return config


def dicom_inputs(key: str = "dicom") -> Doc:
    return {key: file_input("Zip archive of DICOM files", types=["dicom", "parrec"])}


def export_dicom_config(*, newest: bool) -> Doc:
    return {
        "dicom_fields": opt(
            "string",
            "",
            "Comma separated DICOM keywords to export; empty exports every public field.",
        ),
        "output_format": opt("string", "csv", "Table format.", enum=["csv", "tsv"]),
        "include_private_tags": opt(
            "boolean", False, "Also export private (odd group) tags. [default=false]"
        ),
    }


def curate_bids_config(*, newest: bool) -> Doc:
    config: Doc = {
        "reset": opt(
            "boolean",
            False,
            "Remove all BIDS info from files before curating. [default=false]",
        ),
        "entire_project": opt(
            "boolean",
            False,
            "Curate every session of the project, not only the destination. [default=false]",
        ),
        "template_type": opt(
            "string",
            "Default",
            "Project curation template to use when no template file is given.",
            enum=["Default", "ReproIn", "BIDS-v1"],
        ),
    }
    if newest:
        config["intendedfor_regexes"] = opt(
            "string",
            "",
            "Space separated pairs of regexes that fix IntendedFor of field maps.",
        )
    return config


def heudiconv_config(*, newest: bool) -> Doc:
    return {
        "action": opt(
            "string",
            "Curate",
            "Curate the session with the heuristic, or only export the proposed BIDS names.",
            enum=["Curate", "Export", "Tabulate"],
        ),
        "do_whole_project": opt(
            "boolean", False, "Curate every session of the project. [default=false]"
        ),
        "dry_run": opt("boolean", False, "Log the changes without applying them. [default=false]"),
    }


def heudiconv_inputs() -> Doc:
    return {
        "api_key": api_key_input(),
        "heuristic": file_input("heudiconv heuristic (.py)", types=["source code"]),
    }


def thickness_config(*, newest: bool) -> Doc:
    return {
        "template_name": opt(
            "string",
            "OASIS",
            "Template brain used for registration and priors. [default=OASIS]",
            enum=["OASIS", "PTBP", "MNI152NLin2009cAsym"],
        ),
        "num_threads": opt("integer", 4, "Number of CPU threads. [default=4]", minimum=1),
        "quick_registration": opt(
            "boolean", False, "Use a faster, lower-quality SyN registration. [default=false]"
        ),
    }


def anatomy_inputs(*, t2: bool = False) -> Doc:
    inputs: Doc = {"t1w_anatomy": file_input("T1-weighted anatomical image", types=["nifti"])}
    if t2:
        inputs["t2w_anatomy"] = file_input(
            "T2-weighted image of the hippocampus", optional=True, types=["nifti"]
        )
    return inputs


def ashs_config(*, newest: bool) -> Doc:
    return {
        "atlas": opt(
            "string",
            "harp",
            "ASHS atlas: HarP hippocampus, or ICV for intracranial volume. [default=harp]",
            enum=["harp", "icv"],
        ),
        "skip_qc": opt("boolean", False, "Skip the QC snapshot images. [default=false]"),
    }


def forwardmodel_config(*, newest: bool) -> Doc:
    return {
        "modelClass": opt(
            "string",
            "pRF",
            "The forwardModel model class to fit.",
            enum=["pRF", "flobsHRF", "mtSinai", "glm"],
        ),
        "modelOpts": opt("string", "", "Key-value options passed to the model, as a cell string."),
        "tr": opt("number", 0.8, "Repetition time of the fMRI data in seconds.", minimum=0.1),
        "averageAcquisitions": opt(
            "boolean", False, "Average the acquisitions before fitting. [default=false]"
        ),
        "vxsPass": opt("string", "", "Indices of the voxels to fit; empty fits all."),
    }


def forwardmodel_inputs() -> Doc:
    return {
        "funcZip01": file_input("Zip of fMRIPrep / hcp-func output for one run", types=["archive"]),
        "stimFile": file_input("Stimulus description (.mat)"),
        "structZip": file_input("Zip of hcp-struct output", optional=True, types=["archive"]),
    }


def ldogstruct_config(*, newest: bool) -> Doc:
    return {
        "skullStripFrac": opt(
            "number", 0.3, "BET fractional intensity threshold.", minimum=0.0, maximum=1.0
        ),
        "extractionLevel": opt(
            "integer", 2, "How aggressive the brain extraction is.", enum=[1, 2, 3]
        ),
        "saveIntermediate": opt("boolean", False, "Keep intermediate files. [default=false]"),
    }


def mriqc_config(*, newest: bool) -> Doc:
    return {
        "measurement": opt(
            "string",
            "auto-detect",
            "Modality to run on; auto-detected from the file classification by default.",
            enum=["auto-detect", "T1w", "T2w", "bold"],
        ),
        "verbose_reports": opt("boolean", False, "Produce verbose HTML reports. [default=false]"),
        "save_derivatives": opt("boolean", False, "Save derivative images. [default=false]"),
        "fd_thres": opt(
            "number", 0.2, "Framewise displacement threshold (mm). [default=0.2]", minimum=0
        ),
    }


def mriqc_inputs() -> Doc:
    return {"nifti": file_input("NIfTI image to assess", types=["nifti"])}


def xcp_config(*, newest: bool) -> Doc:
    return {
        "analysis_type": opt(
            "string",
            "fc",
            "Which XCP design to run. [default=fc]",
            enum=["fc", "fc-36p", "fc-aroma", "fc-acompcor", "task", "qcfc"],
        ),
        "task_name": opt("string", "", "BIDS task label to process; empty for resting state."),
        "session": opt("string", "", "Session label to process; empty for the destination."),
        "space": opt(
            "string",
            "MNI152NLin2009cAsym",
            "Space of the fMRIPrep outputs to use.",
            enum=["MNI152NLin2009cAsym", "T1w"],
        ),
    }


def xcp_inputs() -> Doc:
    return {
        "api_key": api_key_input(),
        "fmriprepdir": file_input("Zip of fMRIPrep outputs", types=["archive"]),
        "designfile": file_input("XCP design (.dsn)", optional=True),
        "taskfile": file_input("Task model (FSL .fsf)", optional=True),
    }


def qsirecon_config(*, newest: bool) -> Doc:
    """PennBBL/qsirecon-fw's manifest.json (0.0.7_0.8.0): reconstruction of a QSIPrep run."""
    config: Doc = {
        "intermediate_files": opt(
            "string", "", "Space separated list of FILES to retain from the intermediate work "
            "directory."
        ),
        "intermediate_folders": opt(
            "string", "", "Space separated list of FOLDERS to retain from the intermediate "
            "work directory."
        ),
        "recon_builtin": opt(
            "string",
            "",
            "Use a pre-configured reconstruction workflow",
            enum=[
                "",
                "dsi_studio_gqi",
                "mrtrix_multishell_msmt",
                "mrtrix_multishell_msmt_noACT",
                "mrtrix_singleshell_ss3t",
                "mrtrix_singleshell_ss3t_noACT",
                "dipy_3dshore",
                "dipy_mapmri",
                "csdsi_3dshore",
            ],
        ),
        "sloppy": opt("boolean", False, "Use low-quality tools for speed - TESTING ONLY"),
        "save_intermediate_work": opt(
            "boolean",
            False,
            "Zip and save working directory with intermediate files. [default=false]",
        ),
        "save_outputs": opt(
            "boolean",
            True,
            "Zip and save output directory contents on an algorithm failure. [default=false]",
        ),
        "sge-cpu": opt(
            "string",
            "8",
            "[SGE] How many cores to request. This is used for the underlying "
            "'-pe threaded' option.",
        ),
        "sge-ram": opt(
            "string",
            "64G",
            "[SGE] How much RAM to request. This is used for the underlying '-l h_vmem' option.",
        ),
        "sge-short": opt(
            "boolean",
            False,
            "[SGE] Tell the cluster this is a short job. This caps the job to 90 minutes "
            "wall-clock and 15 minutes of CPU.",
        ),
        "singularity-debug": opt("boolean", False, "[Singularity] Enable verbose logging."),
        "singularity-writable": opt(
            "boolean", False, "[Singularity] Mount the container as writable."
        ),
        "timeout": opt("number", 2, "Maximum number of days that fmriprep can run"),
    }
    if not newest:  # the first releases had no SGE/Singularity options
        for key in [k for k in config if k.startswith(("sge-", "singularity-"))]:
            del config[key]
    return config


def qsirecon_inputs() -> Doc:
    """As PennBBL/qsirecon-fw's manifest: the license, an optional recon spec and the zip of
    a QSIPrep run (``qsiprep_<subject>_<analysis id>.zip``, as qsiprep-fw's ``run`` names
    it); typed here so a launch picks that zip and never the ``.html.zip`` report next to it
    by type alone (both are archives: the config's ``file:`` tells them apart)."""
    return {
        "api_key": api_key_input(),
        "freesurfer_license": file_input(
            "FreeSurfer license file, provided during registration with FreeSurfer. This file "
            "will by copied to the $FSHOME directory and used during execution of the Gear.",
            types=["text"],
        ),
        "recon_spec": file_input(
            "JSON file describing the steps that will occur after preprocessing.",
            optional=True,
            types=["source code"],
        ),
        "qsiprep_output": file_input("Zip file containing qsiprep output.", types=["archive"]),
    }


# -- the catalogue ---------------------------------------------------------
@dataclass(frozen=True)
class GearSpec:
    """One gear across its versions: everything but the version-dependent parts."""

    name: str
    label: str
    description: str
    category: str
    suite: str
    image: str
    author: str
    source: str
    versions: tuple[str, ...]  # oldest first
    config: Callable[..., Doc]  # config(newest=bool) -> dict
    inputs: Callable[[], Doc]
    license_: str = "BSD-3-Clause"
    cite: str | None = None

    def manifest(self, version: str) -> Doc:
        return manifest(
            name=self.name,
            label=self.label,
            version=version,
            description=self.description,
            author=self.author,
            source=self.source,
            category=self.category,
            suite=self.suite,
            image=self.image,
            inputs=self.inputs(),
            config=self.config(newest=version == self.versions[-1]),
            license_=self.license_,
            cite=self.cite,
        )


FMRIPREP_LABEL = "fMRIPREP: A Robust Preprocessing Pipeline for fMRI Data"
QSIPREP_LABEL = "QSIPREP: workflows for preprocessing and reconstructing q-space images"


def _fmriprep_fw(*, newest: bool) -> Doc:
    return fmriprep_config(newest=newest, freesurfer_key="skip_freesurfer")


# In the order of the tutorial's `fw.get_all_gears()` printout, then extras.
SPECS: tuple[GearSpec, ...] = (
    GearSpec(
        "export-dicom-file-info",
        "Export DICOM File Header Values to CSV",
        "Exports the header of a DICOM archive to a CSV file, one row per DICOM file.",
        "utility",
        "Metadata Extraction",
        "pennbbl/export-dicom-file-info",
        "PennBBL",
        "https://github.com/PennBBL/export-dicom-file-info",
        ("0.0.3", "0.1.0"),
        export_dicom_config,
        dicom_inputs,
    ),
    GearSpec(
        "fmriprep",
        FMRIPREP_LABEL,
        "fMRIPrep is a functional MRI data preprocessing pipeline designed to provide an "
        "easily accessible, state-of-the-art interface that is robust to variations in scan "
        "acquisition protocols. Runs on a BIDS-curated session.",
        "analysis",
        "BIDS Apps",
        "poldracklab/fmriprep-fw",
        "Poldrack Lab, Stanford University",
        "https://github.com/poldracklab/fmriprep",
        ("1.1.8_0.3.0", "1.2.6_0.3.2", "1.4.1_0.4.1"),
        _fmriprep_fw,
        lambda: fmriprep_inputs(bidsignore=False),
        cite=FMRIPREP_CITE,
    ),
    GearSpec(
        "forwardmodel",
        "forwardModel: non-linear fitting of models to fMRI data",
        "Fits non-linear models (pRF, HRF, ...) to fMRI time series with the forwardModel "
        "MATLAB toolbox.",
        "analysis",
        "Aguirre Lab",
        "gkaguirrelab/forwardmodel",
        "Geoffrey K. Aguirre",
        "https://github.com/gkaguirrelab/forwardModel",
        ("0.5.0", "0.6.1", "0.7.2"),
        forwardmodel_config,
        forwardmodel_inputs,
        license_="MIT",
    ),
    GearSpec(
        "dcm2niix",
        "DCM2NIIX: dcm2nii DICOM to NIfTI converter",
        "Converts DICOM or PAR/REC archives to NIfTI with a BIDS sidecar, using Chris "
        "Rorden's dcm2niix.",
        "converter",
        "Conversion",
        "flywheel/dcm2niix",
        "Chris Rorden",
        "https://github.com/rordenlab/dcm2niix",
        ("0.7.9_1.0.20190410", "0.8.0_1.0.20190902", "1.0.0_1.0.20191031"),
        dcm2niix_config,
        lambda: dicom_inputs("dcm2niix_input"),
    ),
    GearSpec(
        "curate-bids",
        "BIDS Curation",
        "Curates the project's files into BIDS names and folders from a project template.",
        "utility",
        "Curation",
        "flywheel/curate-bids",
        "Flywheel",
        "https://github.com/flywheel-apps/curate-bids",
        ("0.7.4", "0.8.1", "0.8.3"),
        curate_bids_config,
        lambda: {
            "api_key": api_key_input(),
            "template": file_input("Project curation template (.json)", optional=True),
        },
        license_="MIT",
    ),
    GearSpec(
        "thickantscamke",
        "Thickness_ANTS",
        "Cortical thickness with antsCorticalThickness.sh, with cached templates and priors.",
        "analysis",
        "Anatomical",
        "pennbbl/thickantscamke",
        "Philip A. Cook, ANTs team",
        "https://github.com/ANTsX/ANTs",
        ("0.1.0", "0.2.1"),
        thickness_config,
        anatomy_inputs,
        license_="Apache-2.0",
    ),
    GearSpec(
        "ashsharpicv",
        "AshsHarpICV",
        "Automatic Segmentation of Hippocampal Subfields with the HarP and ICV atlases.",
        "analysis",
        "Anatomical",
        "pennbbl/ashsharpicv",
        "Paul Yushkevich, PICSL",
        "https://www.nitrc.org/projects/ashs",
        ("0.1.2", "0.1.4"),
        ashs_config,
        lambda: anatomy_inputs(t2=True),
        license_="GPL-3.0",
    ),
    GearSpec(
        "qsiprep-fw",
        QSIPREP_LABEL,
        "QSIPrep preprocesses diffusion MRI (head motion, eddy currents, distortion "
        "correction, coregistration) and optionally reconstructs it, on GCP.",
        "analysis",
        "PennLINC",
        "pennbbl/qsiprep-fw",
        "Matt Cieslak",
        "https://github.com/PennLINC/qsiprep",
        ("0.3.4_0.6.3", "0.3.6_0.6.7", "0.3.8_0.7.1"),
        qsiprep_config,
        qsiprep_inputs,
        cite=QSIPREP_CITE,
    ),
    GearSpec(
        "ldogstruct",
        "ldogStruct: anatomical pre-processing for the LDOG project",
        "Skull-strips and registers canine anatomical images to the LDOG template.",
        "analysis",
        "Aguirre Lab",
        "gkaguirrelab/ldogstruct",
        "Ozenc Taskin",
        "https://github.com/gkaguirrelab/mriLDOGAnalysis",
        ("0.1.5", "0.2.0"),
        ldogstruct_config,
        lambda: anatomy_inputs(t2=True),
        license_="MIT",
    ),
    GearSpec(
        "fmriprep-fwheudiconv",
        f"{FMRIPREP_LABEL} [fw-heudiconv]",
        "fMRIPrep on a session curated by fw-heudiconv: the BIDS names come from the "
        "session's fw-heudiconv metadata, not from the project template.",
        "analysis",
        "PennLINC",
        "pennbbl/fmriprep-fwheudiconv",
        "Poldrack Lab, Stanford University; PennBBL",
        "https://github.com/PennBBL/fmriprep-fwheudiconv",
        ("0.1.7_1.4.1", "0.2.0_1.5.0", "0.2.2_1.5.2"),
        fmriprep_config,
        fmriprep_inputs,
        cite=FMRIPREP_CITE,
    ),
    GearSpec(
        "fmriprep-hpc",
        f"{FMRIPREP_LABEL} [fw-heudiconv]",
        "fmriprep-fwheudiconv queued on the Penn HPC cluster instead of GCP.",
        "analysis",
        "PennLINC",
        "pennbbl/fmriprep-hpc",
        "Poldrack Lab, Stanford University; PennBBL",
        "https://github.com/PennBBL/fmriprep-fwheudiconv",
        ("0.1.0_1.5.2", "0.1.2_1.5.2"),
        fmriprep_config,
        fmriprep_inputs,
        cite=FMRIPREP_CITE,
    ),
    GearSpec(
        "qsiprep-hpc",
        f"{QSIPREP_LABEL} [HPC]",
        "qsiprep-fw queued on the Penn HPC cluster instead of GCP.",
        "analysis",
        "PennLINC",
        "pennbbl/qsiprep-hpc",
        "Matt Cieslak",
        "https://github.com/PennLINC/qsiprep",
        ("0.3.6_0.6.7", "0.3.8_0.7.1", "0.4.0_0.8.0"),
        qsiprep_config,
        qsiprep_inputs,
        cite=QSIPREP_CITE,
    ),
    GearSpec(
        "fw-heudiconv",
        "fw-heudiconv: BIDS curation with heudiconv heuristics",
        "Applies a heudiconv heuristic to Flywheel metadata so sessions get BIDS names "
        "without moving any data.",
        "utility",
        "PennLINC",
        "pennbbl/fw-heudiconv",
        "Tinashe Tapera",
        "https://github.com/PennBBL/fw-heudiconv",
        ("0.2.5_0.2.10", "0.3.2_0.3.2", "0.3.3_0.3.4"),
        heudiconv_config,
        heudiconv_inputs,
    ),
    GearSpec(
        "mriqc",
        "MRIQC: Automatic prediction of quality and visual reporting of MRI scans",
        "Image quality metrics and visual reports for T1w, T2w and BOLD images.",
        "qa",
        "BIDS Apps",
        "poldracklab/mriqc-fw",
        "Poldrack Lab, Stanford University",
        "https://github.com/poldracklab/mriqc",
        ("0.14.2_0.7.0", "0.15.1_0.7.4"),
        mriqc_config,
        mriqc_inputs,
    ),
    GearSpec(
        "xcpengine-fw",
        "XCP Engine: a pipeline for functional connectivity post-processing",
        "Denoising and functional connectivity from fMRIPrep outputs with xcpEngine.",
        "analysis",
        "PennLINC",
        "pennbbl/xcpengine-fw",
        "Azeez Adebimpe",
        "https://github.com/PennBBL/xcpEngine",
        ("1.0.0_1.1.0", "1.1.3_1.2.1", "1.2.0_1.2.3"),
        xcp_config,
        xcp_inputs,
    ),
    GearSpec(
        "qsirecon-fw",
        "QSIRECON: workflows for reconstructing QSIPrep output",
        "qsirecon builds workflows for reconstructing preprocessed dMRI data.",
        "analysis",
        "PennBBL",
        "pennbbl/qsirecon-fw",
        "Matthew Cieslak",
        "https://github.com/pennbbl/qsirecon-fw",
        ("0.0.5_0.8.0", "0.0.7_0.8.0"),
        qsirecon_config,
        qsirecon_inputs,
        cite="github.com/pennbbl/qsiprep",
    ),
)

# Older versions were uploaded over 2019; the newest version of each gear in
# spec order over early 2020, so creation order (and ids) list the newest
# versions in the tutorial's order.
_OLDER_START = datetime(2019, 1, 7, 15, 30, tzinfo=UTC)
_NEWEST_START = datetime(2020, 1, 13, 10, 0, tzinfo=UTC)


def gear_catalog() -> list[tuple[Doc, str, datetime]]:
    """(manifest, category, created) for every gear version, oldest upload first."""
    older: list[tuple[Doc, str, datetime]] = []
    newest: list[tuple[Doc, str, datetime]] = []
    for position, spec in enumerate(SPECS):
        for index, version in enumerate(spec.versions[:-1]):
            created = _OLDER_START + timedelta(days=21 * index + 3 * position, hours=position)
            older.append((spec.manifest(version), spec.category, created))
        created = _NEWEST_START + timedelta(days=2 * position, hours=position % 5)
        newest.append((spec.manifest(spec.versions[-1]), spec.category, created))
    older.sort(key=lambda item: item[2])
    return older + newest


GEAR_CATALOG: list[tuple[Doc, str, datetime]] = gear_catalog()
"""Built once at import: manifests are shared data, so callers must not mutate them."""
