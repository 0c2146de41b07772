"""What the demo world's files say about themselves, and the analyses whose outputs later
gears take: enough for launches that pick each target's own files.

- Every scan file (DICOM archives, NIfTIs and their bval/bvec) was uploaded when its
  session was scanned (``created``), and carries ``modality: MR`` and the classification
  Flywheel's ``dicom-mr-classifier`` gives its acquisition's label
  (flywheel-apps/dicom-mr-classifier, ``classification_from_label.infer_classification``):
  a DWI is ``{"Intent": ["Structural"], "Measurement": ["Diffusion"]}``, the MPRAGE
  ``{"Intent": ["Structural"], "Measurement": ["T1"], "Features": ["MPRAGE"]}`` ...
- 14 of gear_testing's DWI acquisitions also hold the scanner's ADC map converted to NIfTI
  (``..._acq-64dir_dwi_ADC.nii.gz``, classified ``Derived``): those sessions have two
  NIfTIs matching ``*dwi*.nii.gz``, which a launch must never choose between by guessing.
- grmpy_dwi has qsiprep-hpc 0.3.8_0.7.1 analyses from 2021 made outside fwbot (analyst@
  through the SDK) on its DWI sessions, with their outputs as qsiprep-fw's ``run`` names
  them: ``qsiprep_<subject>_<analysis id>.zip`` (the derivatives), ``<subject>_<analysis
  id>.html.zip`` (the report) and the job log; a few sessions were run twice, a few
  failed. qsirecon-fw takes that zip.

Drawn from generators of their own after everything else, so every document and id built
before is unchanged: the counts the tutorial shows (1,329 DWI sessions ...) still hold.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from localfw.world import Doc, World, iso

ADC_SESSIONS = 14  # gear_testing DWI acquisitions with a second (ADC) NIfTI
QSIPREP_RUNS_GEAR = "qsiprep-hpc"
QSIPREP_RUNS_VERSION = "0.3.8_0.7.1"
QSIPREP_RERUN_SESSIONS = 6  # grmpy_dwi sessions with two complete runs
QSIPREP_FAILED_SESSIONS = 3  # grmpy_dwi sessions whose only run failed
QSIPREP_UNRUN_SESSIONS = 3  # grmpy_dwi DWI sessions never run
_ADC_ADDED = datetime(2024, 2, 5, 10, 0, tzinfo=UTC)
_QSIPREP_START = datetime(2021, 3, 1, 9, 0, tzinfo=UTC)
_SCAN_TYPES = ("dicom", "nifti", "bval", "bvec")


def classification_of(label: str) -> dict[str, list[str]]:
    """dicom-mr-classifier's classification of the demo's acquisition labels."""
    if label.startswith("fmap"):
        return {"Intent": ["Fieldmap"], "Measurement": ["B0"]}
    if "dwi" in label:
        return {"Intent": ["Structural"], "Measurement": ["Diffusion"]}
    if label.endswith("_bold"):
        found = {"Intent": ["Functional"], "Measurement": ["T2*", "BOLD"]}
        return found | ({"Features": ["Task"]} if label.startswith("task") else {})
    if "T1w" in label:
        features = {"Features": ["MPRAGE"]} if "MPRAGE" in label else {}
        return {"Intent": ["Structural"], "Measurement": ["T1"]} | features
    if "Localizer" in label:
        return {"Intent": ["Localizer"], "Measurement": ["T2"]}
    return {}


def add_file_details(world: World, gear_testing: Doc, grmpy: Doc, seed: int) -> None:
    """Classify every scan, add the ADC maps and grmpy's earlier qsiprep runs."""
    for acq in world.acquisitions.values():
        classification = classification_of(acq["label"])
        scanned = world.sessions[acq["parents"]["session"]]["timestamp"]
        for f in acq.get("files", []):
            if f.get("type") in _SCAN_TYPES:
                f["modality"] = "MR"
                f["classification"] = {k: list(v) for k, v in classification.items()}
                f["created"] = f["modified"] = scanned  # uploaded with its session
    _add_adc_maps(world, gear_testing, random.Random(f"{seed}:adc"))
    _add_qsiprep_runs(world, grmpy, random.Random(f"{seed}:qsiprep-runs"))


def _add_adc_maps(world: World, project: Doc, rng: random.Random) -> None:
    dwi = [
        a
        for a in world.acquisitions.values()
        if a["label"] == "acq-64dir_dwi" and a["parents"].get("project") == project["_id"]
    ]
    # the first stays as the tutorial shows it (four files, NIfTI first)
    for acq in sorted(rng.sample(dwi[1:], ADC_SESSIONS), key=lambda a: a["_id"]):
        nifti = next(f["name"] for f in acq["files"] if f["type"] == "nifti")
        name = nifti.replace("_dwi.nii.gz", "_dwi_ADC.nii.gz")
        fdoc = world.upload_file(acq, name, "acquisition", size=2_000_000, now=_ADC_ADDED)
        fdoc["modality"] = "MR"
        fdoc["classification"] = {
            "Intent": ["Structural"],
            "Measurement": ["Diffusion"],
            "Features": ["Derived"],
        }


def qsiprep_gear(world: World) -> Doc:
    return next(
        g
        for g in world.gears.values()
        if g["gear"]["name"] == QSIPREP_RUNS_GEAR and g["gear"]["version"] == QSIPREP_RUNS_VERSION
    )


def _add_qsiprep_runs(world: World, project: Doc, rng: random.Random) -> None:
    gear = qsiprep_gear(world)
    sessions = sorted(
        {
            a["parents"]["session"]
            for a in world.acquisitions.values()
            if a["label"] == "acq-64dir_dwi" and a["parents"].get("project") == project["_id"]
        }
    )
    license_ref = {"type": "project", "id": project["_id"], "name": "license.txt"}
    rng.shuffle(sessions)
    unrun = QSIPREP_UNRUN_SESSIONS
    failed = sessions[unrun : unrun + QSIPREP_FAILED_SESSIONS]
    reruns = sessions[unrun + QSIPREP_FAILED_SESSIONS :][:QSIPREP_RERUN_SESSIONS]
    for session_id in sorted(sessions[unrun:]):
        session = world.sessions[session_id]
        when = _QSIPREP_START + timedelta(days=rng.randrange(0, 60), hours=rng.randrange(9))
        if session_id in failed:
            _add_run(world, session, gear, license_ref, when, "failed", rng)
            continue
        _add_run(world, session, gear, license_ref, when, "complete", rng)
        if session_id in reruns:  # run again weeks later (a changed eddy setting, say)
            later = when + timedelta(days=rng.randrange(20, 40))
            _add_run(world, session, gear, license_ref, later, "complete", rng)


def _add_run(
    world: World,
    session: Doc,
    gear: Doc,
    license_ref: Doc,
    when: datetime,
    state: str,
    rng: random.Random,
) -> None:
    manifest = gear["gear"]
    config = {k: v["default"] for k, v in manifest["config"].items() if "default" in v}
    config["output_resolution"] = 2.0  # required, no default
    analysis, job = world.add_analysis(
        session,
        f"QSIPrep_{when:%Y-%m-%d_%H-%M}_{manifest['name']}_{manifest['version']}",
        gear=gear,
        inputs={"freesurfer_license": license_ref},
        config=config,
        tags=["analysis", manifest["name"]],
        origin={"type": "user", "id": "analyst@pennlinc.example"},
        now=when,
    )
    assert job is not None
    analysis["user"] = "analyst@pennlinc.example"
    ended = when + timedelta(seconds=rng.randrange(3_000, 9_000))
    job["state"] = state
    job["transitions"] = {"running": iso(when + timedelta(minutes=5)), state: iso(ended)}
    job["modified"] = analysis["modified"] = iso(ended)
    if state == "failed":
        job["failure_reason"] = "gear_failure"
        return
    subject = world.subjects[session["parents"]["subject"]]["label"]
    aid = analysis["_id"]
    names = [f"qsiprep_{subject}_{aid}.zip", f"{subject}_{aid}.html.zip", "qsiprep-hpc_job.log"]
    for name in names:
        fdoc = world.upload_file(analysis, name, "analysis", size=900_000_000, now=ended)
        fdoc["origin"] = {"type": "job", "id": job["_id"]}
        fdoc["gear_info"] = dict(job["gear_info"])
    job["saved_files"] = names
