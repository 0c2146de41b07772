"""Conformance: containers' files in listings, file versions, and jobs whose inputs are the
files of acquisitions and analyses, as Flywheel core serves them.

Sources:
- Listings keep files: core's ``ContainerHandler`` list projections drop only ``info`` and
  ``files.info`` (and tags) from acquisitions and sessions
  (scitran/core ``api/handlers/containerhandler.py``, ``container_handler_configurations``);
  SDK 23.0.0's ``AcquisitionListOutput.files`` is ``list[FileListOutput]``, whose ``type``
  is a string, ``classification`` a ``dict(str, list[str])``, ``version`` an int and
  ``file_id`` a string.
- A file's type comes from its name (scitran/core ``api/filetypes.json``: ``.dicom.zip``
  is ``dicom``, ``.bval`` ``bval``, ``.json`` ``source code``, any other ``.zip`` an
  ``archive``); a name with no known extension has none.
- Uploading a name the container already has replaces that file, never lists it twice
  (scitran/core ``api/dao/hierarchy.py`` ``upsert_fileinfo``), as a new ``version`` with
  a new ``file_id`` (SDK ``FileListOutput.version``; downloads take ``version``, "version
  of the file to download").
- A job's inputs are ``{type, id, name}`` file references (SDK ``FileReference``) to a file
  of any container, an analysis's outputs included; core checks that each input is in the
  manifest and that its file exists (404 otherwise) and records in ``config.inputs`` the
  container (``hierarchy``), ``location.name`` and the file ``object`` (SDK ``JobFileInput``,
  ``JobFileObject.version``/``file_id``), but does not check the file's type against the
  manifest's ``type`` (scitran/core ``api/jobs/queue.py`` ``Queue.enqueue_job``).
- A job's ``parents`` are its destination's plus the destination (SDK ``JobParents``:
  group, project, subject, session, acquisition, analysis).
- ``GET /projects/{id}/acquisitions/analyses`` lists the analyses on the project's
  acquisitions (SDK ``analyses_api.get_analyses``), each with its output ``files``
  (``AnalysisListOutput.files``).
"""

from __future__ import annotations

import json
from typing import Any

import flywheel
import pytest

from localfw.server import LocalFlywheel
from localfw.world import Doc, _file_type
from tests.localfw.helpers import license_file, project, qsiprep, raw

DICOM = "sub-0000_T1w.dicom.zip"


def convert_gear(localfw: LocalFlywheel) -> Doc:
    """A converter taking one DICOM archive, as dcm2niix's manifest declares it."""
    from datetime import UTC, datetime

    manifest = {
        "name": "dcm2niix",
        "label": "dcm2niix",
        "version": "9.9.9",
        "inputs": {"dcm2niix_input": {"base": "file", "type": {"enum": ["dicom", "parrec"]}}},
        "config": {},
    }
    with localfw.world.lock:
        return localfw.world.add_gear(
            manifest, category="converter", created=datetime(2024, 6, 1, tzinfo=UTC)
        )


def reader_gear(localfw: LocalFlywheel) -> Doc:
    """An analysis gear taking a QSIPrep output zip (as qsirecon-fw's manifest does)."""
    from datetime import UTC, datetime

    manifest = {
        "name": "qsirecon-fw",
        "label": "QSIRECON",
        "version": "0.0.7_0.8.0",
        "inputs": {
            "freesurfer_license": {"base": "file"},
            "qsiprep_output": {
                "base": "file",
                "description": "Zip file containing qsiprep output.",
            },
        },
        "config": {},
    }
    with localfw.world.lock:
        return localfw.world.add_gear(
            manifest, category="analysis", created=datetime(2024, 6, 1, tzinfo=UTC)
        )


def first_t1w(localfw: LocalFlywheel) -> Doc:
    """The small world's first anatomical acquisition, given a DICOM archive too."""
    with localfw.world.lock:
        acq = next(a for a in localfw.world.acquisitions.values() if a["label"] == "anat-T1w")
        if not any(f["name"] == DICOM for f in acq["files"]):
            fdoc = localfw.world.add_file(acq, DICOM, "acquisition")
            fdoc["classification"] = {"Intent": ["Structural"], "Measurement": ["T1"]}
        return acq


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("a.dicom.zip", "dicom"),
        ("a.dcm", "dicom"),
        ("a.nii.gz", "nifti"),
        ("a.bval", "bval"),
        ("a.bvec", "bvec"),
        ("a.json", "source code"),
        ("a.html.zip", "archive"),
        ("qsiprep_sub-1_abc.zip", "archive"),
        ("license.txt", "text"),
        ("participants.tsv", "tabular data"),
        ("job.log", "log"),
        ("README", None),
    ],
)
def test_a_files_type_comes_from_its_name_as_in_cores_filetypes(name: str, kind: str) -> None:
    assert _file_type(name) == kind


def test_acquisition_listings_carry_files_with_type_classification_and_version(
    localfw: LocalFlywheel, fw: Any
) -> None:
    acq = first_t1w(localfw)
    p = project(fw)
    listed = fw.acquisitions.find(f"parents.project={p.id},label=anat-T1w", limit=1000)
    found = next(a for a in listed if a.id == acq["_id"])
    by_name = {f.name: f for f in found.files}
    assert by_name[DICOM].type == "dicom"
    assert by_name[DICOM].classification == {"Intent": ["Structural"], "Measurement": ["T1"]}
    assert by_name[DICOM].version == 1 and by_name[DICOM].file_id
    assert by_name["sub-0000_T1w.nii.gz"].type == "nifti"


def test_an_upload_of_the_same_name_is_a_new_version_listed_once(localfw: LocalFlywheel) -> None:
    acq = first_t1w(localfw)
    with localfw.world.lock:
        before = dict(next(f for f in acq["files"] if f["name"] == DICOM))
        after = localfw.world.upload_file(acq, DICOM, "acquisition")
        names = [f["name"] for f in acq["files"]]
    assert names.count(DICOM) == 1
    assert after["version"] == before["version"] + 1
    assert after["file_id"] != before["file_id"]


def test_a_job_on_an_acquisition_reads_its_file_and_records_the_version(
    localfw: LocalFlywheel, fw: Any
) -> None:
    gear = convert_gear(localfw)
    acq = first_t1w(localfw)
    ref = {"type": "acquisition", "id": acq["_id"], "name": DICOM}
    job_id = fw.add_job(
        {
            "gear_id": gear["_id"],
            "destination": {"type": "acquisition", "id": acq["_id"]},
            "inputs": {"dcm2niix_input": ref},
            "config": {},
        }
    )
    job = localfw.world.jobs[job_id]
    assert job["inputs"] == {"dcm2niix_input": ref}
    recorded = job["config"]["inputs"]["dcm2niix_input"]
    assert recorded["hierarchy"] == {"type": "acquisition", "id": acq["_id"]}
    assert recorded["location"]["name"] == DICOM
    dicom = next(f for f in acq["files"] if f["name"] == DICOM)
    assert recorded["object"]["version"] == dicom["version"]
    assert recorded["object"]["file_id"] == dicom["file_id"]
    assert job["parents"]["acquisition"] == acq["_id"]
    assert job["parents"]["session"] == acq["parents"]["session"]


def test_core_does_not_check_an_inputs_file_type_but_does_check_the_file(
    localfw: LocalFlywheel, fw: Any
) -> None:
    """A NIfTI handed to an input declaring dicom is queued (core leaves types to the
    client); a file the container does not have is a 404, as is a wrong container type."""
    gear = convert_gear(localfw)
    acq = first_t1w(localfw)
    body = {
        "gear_id": gear["_id"],
        "destination": {"type": "acquisition", "id": acq["_id"]},
        "config": {},
    }
    nifti = {"type": "acquisition", "id": acq["_id"], "name": "sub-0000_T1w.nii.gz"}
    assert fw.add_job({**body, "inputs": {"dcm2niix_input": nifti}})
    missing = {**nifti, "name": "nowhere.dicom.zip"}
    status, answer = raw(
        localfw, "POST", "/jobs/add", {**body, "inputs": {"dcm2niix_input": missing}}
    )
    assert status == 404 and "nowhere.dicom.zip" in answer["message"]
    wrong_type = {**nifti, "type": "session"}
    status, _ = raw(
        localfw, "POST", "/jobs/add", {**body, "inputs": {"dcm2niix_input": wrong_type}}
    )
    assert status == 404


def test_an_analysis_output_is_a_job_input_and_nested_listings_show_outputs(
    localfw: LocalFlywheel, fw: Any
) -> None:
    """An analysis on an acquisition lists its outputs in
    ``/projects/{id}/acquisitions/analyses``; a later job takes one of them as
    ``{type: analysis, id, name}``."""
    acq = first_t1w(localfw)
    gear, lic = qsiprep(fw), license_file(fw)
    analysis_id = fw.add_acquisition_analysis(
        acq["_id"],
        flywheel.AnalysisInput(
            label="on-acq",
            job=flywheel.Job(gear_id=gear.id, inputs={"freesurfer_license": lic.ref()}),
        ),
    )
    with localfw.world.lock:
        analysis = localfw.world.analyses[analysis_id]
        job = localfw.world.jobs[analysis["job"]]
        localfw.world.upload_file(analysis, "qsiprep_sub-0000_x.zip", "analysis")
    assert job["parents"]["acquisition"] == acq["_id"]
    assert job["parents"]["analysis"] == analysis_id
    response = fw.api_client.call_api(
        "/{container_name}/{container_id}/{subcontainer_name}/analyses",
        "GET",
        {
            "container_name": "projects",
            "container_id": project(fw).id,
            "subcontainer_name": "acquisitions",
        },
        [("inflate_job", "true")],
        {"Accept": "application/json"},
        auth_settings=["ApiKey"],
        _return_http_data_only=True,
        _preload_content=False,
    )
    (listed,) = json.loads(response.content)
    assert listed["parent"] == {"type": "acquisition", "id": acq["_id"]}
    assert [f["name"] for f in listed["files"]] == ["qsiprep_sub-0000_x.zip"]
    assert listed["files"][0]["type"] == "archive" and listed["job"]["state"] == "pending"
    reader = reader_gear(localfw)
    output = next(f for f in fw.get(analysis_id).files if f.name == "qsiprep_sub-0000_x.zip")
    assert output.ref() == {"type": "analysis", "id": analysis_id, "name": output.name}
    session = fw.get(acq["parents"]["session"])
    made = fw.get_gear(reader["_id"]).run(
        analysis_label="reads-an-output",
        inputs={"freesurfer_license": lic, "qsiprep_output": output},
        destination=session,
    )
    inputs = localfw.world.jobs[localfw.world.analyses[made]["job"]]["inputs"]
    assert inputs["qsiprep_output"] == output.ref()
