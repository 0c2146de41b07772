"""Inputs from each target's own files and from earlier analyses, and target levels: the
config file's rules, the check against the gear's manifest, the plan against the demo
world in the local Flywheel (through the real SDK gateway), the skip rule with file
versions, and a retry that keeps each target's level and files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bench.polling import PATIENCE
from bot.bootstrap import build_services
from bot.domain import (
    Actor,
    BatchSpec,
    GearDetail,
    GearInput,
    GearSummary,
    InputFile,
    JobRecord,
    JobState,
    TargetSpec,
    TargetState,
)
from bot.errors import UsageError
from bot.flywheel.sdk_gateway import SdkGateway
from bot.service import Services
from bot.service.configs import ConfigError, ConfigLibrary, SavedConfig, manifest_problems
from bot.service.launch.plan import same_inputs
from bot.service.launch.plan_model import LaunchRequest
from bot.service.policy import Policy
from bot.store.db import Store
from localfw.demo_world import DEMO_ANALYST, DEMO_PROJECT, DEMO_SECOND_PROJECT, DEMO_SUBJECTS
from localfw.server import LocalFlywheel
from tests.fixtures.accounts import link, new_accounts

ANALYST = Actor(email=DEMO_ANALYST, slack_user_id="U1", channel_id="C1")


def write(directory: Path, name: str, doc: object) -> None:
    (directory / f"{name}.yml").write_text(yaml.safe_dump(doc))


def load_error(tmp_path: Path, inputs: object, **more: object) -> str:
    write(tmp_path, "bad", {"gear": "mriqc", "inputs": inputs, **more})
    with pytest.raises(ConfigError) as err:
        ConfigLibrary(tmp_path).get("bad")
    return str(err.value)


def converter() -> GearDetail:
    return GearDetail(
        summary=GearSummary(
            gear_id="g", name="dcm2niix", label="dcm2niix", version="1", category="converter"
        ),
        inputs=[
            GearInput(name="dcm2niix_input", base="file", types=["dicom", "parrec"]),
            GearInput(name="api_key", base="api-key"),
        ],
    )


# -- the config file ------------------------------------------------------------------------
def test_each_input_names_one_kind_of_source(tmp_path: Path) -> None:
    assert "one kind of source per input, not project_file and acquisition" in load_error(
        tmp_path, {"nifti": {"project_file": "license.txt", "type": "nifti"}}
    )
    assert "say where the file comes from" in load_error(tmp_path, {"nifti": {}})
    assert "`pick` goes inside `analysis:`" in load_error(
        tmp_path, {"x": {"analysis": {"gear": "q", "file": "*.zip"}, "pick": "newest"}}
    )


def test_a_file_type_is_flywheels_own_name_and_a_typo_is_named(tmp_path: Path) -> None:
    problem = load_error(tmp_path, {"nifti": {"type": "Nifti"}})
    assert "inputs.nifti.type: `Nifti` is not a Flywheel file type; did you mean `nifti`?" in (
        problem
    )


def test_an_unknown_key_in_an_analysis_source_lists_its_keys(tmp_path: Path) -> None:
    problem = load_error(tmp_path, {"x": {"analysis": {"gear": "q", "file": "*.zip", "stat": 1}}})
    assert "inputs.x.analysis.stat: unknown key; did you mean `state`?" in problem
    assert "(keys: gear, file, version, label, type, state, pick)" in problem


def test_a_project_target_takes_no_session_rules(tmp_path: Path) -> None:
    problem = load_error(
        tmp_path, {}, target="project", sessions={"has_acquisition": "acq-64dir_dwi"}
    )
    assert "a `target: project` config runs once on the project" in problem


def test_classification_reads_a_line_or_a_mapping(tmp_path: Path) -> None:
    write(tmp_path, "a", {"gear": "g", "inputs": {"n": {"classification": "Measurement: T1"}}})
    write(
        tmp_path, "b", {"gear": "g", "inputs": {"n": {"classification": {"Intent": "Structural"}}}}
    )
    assert ConfigLibrary(tmp_path).get("a").inputs["n"].classification == {"Measurement": ["T1"]}
    b = ConfigLibrary(tmp_path).get("b").inputs["n"]
    assert b.classification == {"Intent": ["Structural"]}
    assert b.describe() == "Intent Structural"


# -- against the manifest ----------------------------------------------------------------------
def test_the_manifest_checks_sources_by_input_name_and_type() -> None:
    gear = converter()
    wrong_type = SavedConfig.model_validate(
        {"name": "c", "gear": "dcm2niix", "inputs": {"dcm2niix_input": {"type": "nifti"}}}
    )
    assert manifest_problems(wrong_type, gear) == [
        "inputs.dcm2niix_input.type: `nifti` is not a file type dcm2niix_input takes "
        "(it takes dicom, parrec)"
    ]
    unknown = SavedConfig.model_validate(
        {"name": "c", "gear": "dcm2niix", "inputs": {"dicom": {"type": "dicom"}}}
    )
    assert manifest_problems(unknown, gear) == [
        "inputs.dicom: not a file input of dcm2niix (file inputs: dcm2niix_input)",
        "inputs.dcm2niix_input: required; give a source, e.g. `dcm2niix_input: {type: dicom}` "
        "(each target's own file) or `dcm2niix_input: {project_file: FILE}`",
    ]
    fine = SavedConfig.model_validate(
        {"name": "c", "gear": "dcm2niix", "inputs": {"dcm2niix_input": {"type": "dicom"}}}
    )
    assert manifest_problems(fine, gear) == []


# -- the skip rule and the idempotency key ---------------------------------------------------------
def run_with(*files: InputFile) -> JobRecord:
    return JobRecord(
        job_id="j", state=JobState.COMPLETE, gear_name="g", gear_version="1", input_files=files
    )


def test_a_run_counts_only_with_the_same_files_at_the_same_versions() -> None:
    v1 = InputFile(parent_type="acquisition", parent_id="a1", name="t1.nii.gz", version=1)
    v2 = v1.model_copy(update={"version": 2})
    other = v1.model_copy(update={"name": "t1_ADC.nii.gz"})
    assert same_inputs(run_with(v1), [v1])
    assert not same_inputs(run_with(v1), [v2])  # a new version: a new run
    assert not same_inputs(run_with(v1), [other])
    assert not same_inputs(run_with(v1), [v1, other])
    assert same_inputs(run_with(), [v1])  # a run that does not say what it read


def spec() -> BatchSpec:
    return BatchSpec(
        gear_name="dcm2niix",
        gear_version="1",
        gear_id="g",
        project_id="p",
        project_label="gear_testing",
        analysis_label="x",
        requester_email=DEMO_ANALYST,
    )


def test_the_launch_key_includes_each_targets_files_and_versions() -> None:
    def target(version: int) -> TargetSpec:
        ref = {"parent_type": "acquisition", "parent_id": "a1", "name": "x.dicom.zip"}
        return TargetSpec(
            session_id="s1",
            session_label="ses-1 anat",
            subject_label="sub-1",
            target_type="acquisition",
            target_id="a1",
            inputs={"dcm2niix_input": {**ref, "version": version}},
        )

    assert spec().launch_key([target(1)]) == spec().launch_key([target(1)])
    assert spec().launch_key([target(1)]) != spec().launch_key([target(2)])
    plain = TargetSpec(session_id="s1", session_label="ses-1", subject_label="sub-1")
    assert plain.launch_part() == "s1"  # session targets keep the keys they always had


# -- plans on the demo world ----------------------------------------------------------------------
@pytest.fixture
def services(
    demo_localfw: LocalFlywheel, sqlite_store: Store, tmp_path: Path
) -> Iterator[Services]:
    directory = tmp_path / "configs"
    directory.mkdir()
    write(
        directory,
        "qsiprep-subject",
        {
            "gear": "qsiprep-hpc",
            "target": "subject",
            "config": {"output_resolution": 2.0},
            "inputs": {
                "freesurfer_license": {"project_file": "license.txt"},
                "t1w_anatomy": {"acquisition": "anat-T1w*", "type": "nifti"},
            },
        },
    )
    write(
        directory,
        "qsiprep-t1w-newest",
        {
            "gear": "qsiprep-hpc",
            "target": "subject",
            "config": {"output_resolution": 2.0},
            "inputs": {
                "freesurfer_license": {"project_file": "license.txt"},
                "t1w_anatomy": {"acquisition": "anat-T1w*", "type": "nifti", "pick": "newest"},
            },
        },
    )
    write(
        directory,
        "dcm2niix",
        {
            "gear": "dcm2niix",
            "target": "acquisition",
            "inputs": {"dcm2niix_input": {"type": "dicom"}},
        },
    )
    write(
        directory,
        "qsirecon-any-zip",
        {
            "gear": "qsirecon-fw",
            "inputs": {
                "freesurfer_license": {"project_file": "license.txt"},
                "qsiprep_output": {
                    "analysis": {"gear": "qsiprep-hpc", "file": "*.zip", "pick": "latest"}
                },
            },
        },
    )
    svc = build_services(
        SdkGateway.connect(demo_localfw.sdk_api_key),
        sqlite_store,
        Policy(max_batch_without_approval=10_000),
        directory,
        accounts=new_accounts(sqlite_store, demo_localfw),
    )
    # The analyst linked their key (fwbot's plain key cannot see their role): every call
    # of the test goes out with it, as every command of theirs would.
    link(svc, demo_localfw, DEMO_ANALYST)
    with svc.linking.speaking_as(svc.identity.for_email(DEMO_ANALYST)):
        yield svc
    svc.workers.shutdown()


def test_an_optional_input_with_several_files_skips_the_subject_unless_picked(
    services: Services, demo_localfw: LocalFlywheel
) -> None:
    """A subject with two visits has two T1w NIfTIs: the optional input is ambiguous, so
    the subject is skipped (never guessed); with `pick: newest` it runs on the latest."""
    plan = services.launches.preview(
        ANALYST,
        LaunchRequest(gear="qsiprep-hpc", project=DEMO_PROJECT, config_name="qsiprep-subject"),
    )

    assert plan.target_type == "subject" and len(plan.matched) == DEMO_SUBJECTS
    (stat,) = plan.input_stats
    assert (stat.name, stat.required) == ("t1w_anatomy", False)
    assert stat.one + stat.several == DEMO_SUBJECTS and stat.several > 0
    assert len(plan.unmatched) == stat.several
    assert {u.state for u in plan.unmatched} == {"ambiguous input"}
    assert len(plan.to_launch) == stat.one

    picked = services.launches.preview(
        ANALYST,
        LaunchRequest(gear="qsiprep-hpc", project=DEMO_PROJECT, config_name="qsiprep-t1w-newest"),
    )
    assert len(picked.to_launch) == DEMO_SUBJECTS and picked.unmatched == ()
    assert picked.input_stats[0].picked == stat.several


def test_a_plan_with_no_target_having_its_inputs_says_so(services: Services) -> None:
    """dcm2niix on field maps only (they have no DICOM archive in the demo)."""
    with pytest.raises(UsageError, match=r"none of the .* matching acquisitions has the inputs"):
        services.launches.request(
            ANALYST,
            LaunchRequest(gear="dcm2niix", project=DEMO_PROJECT, sessions="fmap-phasediff"),
        )


def test_a_retry_of_an_acquisition_batch_runs_on_the_same_acquisitions_and_files(
    services: Services, demo_localfw: LocalFlywheel, sqlite_store: Store
) -> None:
    request = LaunchRequest(gear="dcm2niix", project=DEMO_PROJECT, sessions="acq-64dir_dwi")
    ticket = services.launches.request(ANALYST, request)
    services.launches.confirm(ANALYST, ticket.batch.id)
    services.workers.wait_idle(PATIENCE)
    jobs = [j for j in demo_localfw.world.jobs.values() if f"fwbot:{ticket.batch.id}" in j["tags"]]
    with demo_localfw.world.lock:  # three of them fail
        for job in jobs[:3]:
            job["state"], job["failure_reason"] = "failed", "gear_failure"

    retry = services.launches.retry(ANALYST, ticket.batch.id)
    services.launches.confirm(ANALYST, retry.batch.id)
    services.workers.wait_idle(PATIENCE)

    again = [j for j in demo_localfw.world.jobs.values() if f"fwbot:{retry.batch.id}" in j["tags"]]

    def runs(found: list[dict[str, object]]) -> list[str]:
        return sorted(json.dumps([j["destination"], j["inputs"]], sort_keys=True) for j in found)

    assert runs(again) == runs(jobs[:3])
    targets = sqlite_store.batches.targets(retry.batch.id)
    assert {t.target_type for t in targets} == {"acquisition"}
    assert all(t.state is TargetState.LAUNCHED for t in targets)


def test_pick_chooses_between_analyses_never_between_an_analysis_files(
    services: Services,
) -> None:
    """`file: "*.zip"` matches both the derivatives zip and the `.html.zip` report of each
    QSIPrep run: `pick: latest` chooses the run, not the file, so no session is launched."""
    plan = services.launches.preview(
        ANALYST,
        LaunchRequest(
            gear="qsirecon-fw", project=DEMO_SECOND_PROJECT, config_name="qsirecon-any-zip"
        ),
    )

    assert plan.to_launch == ()
    reasons = {u.reason for u in plan.unmatched if u.status == "several"}
    assert reasons == {
        "2 files of one analysis match qsiprep_output (analysis complete qsiprep-hpc, "
        "file *.zip, pick latest); set `file:`"
    }
