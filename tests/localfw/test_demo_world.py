"""The demo world shows a user what the PennLINC tutorial shows them."""

from __future__ import annotations

import json
from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest
from flywheel.api_client import ApiClient

from doubles.tutorial import TUTORIAL_FILES, TUTORIAL_GEARS, TUTORIAL_QSIPREP_CONFIG
from localfw.demo_world import (
    AUDITOR_ROLE,
    DEMO_ADMIN,
    DEMO_ANALYST,
    DEMO_AUDITOR,
    DEMO_BOT,
    DEMO_GROUP,
    DEMO_ID_USER,
    DEMO_ID_USER_EMAIL,
    DEMO_ODD_PROJECT,
    DEMO_OUTSIDER,
    DEMO_PROJECT,
    DEMO_RUNNER,
    DEMO_SECOND_PROJECT,
    DEMO_SITE_ADMIN,
    DEMO_VIEWER,
    DWI_LABEL,
    RUNNER_ROLE,
    build_demo_world,
)
from localfw.gear_catalog import GEAR_CATALOG
from localfw.world import ROLE_IDS, Doc, World

JSON_TYPES: dict[str, tuple[type, ...]] = {
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
}


@pytest.fixture(scope="module")
def world() -> World:
    return build_demo_world()


def project(world: World, label: str) -> Doc:
    (doc,) = [p for p in world.projects.values() if p["label"] == label]
    return doc


def sessions_of(world: World, project_doc: Doc) -> list[Doc]:
    return [s for s in world.sessions.values() if s["project"] == project_doc["_id"]]


def acquisition_labels(world: World) -> dict[str, list[str]]:
    by_session: dict[str, list[str]] = {}
    for acq in world.acquisitions.values():
        by_session.setdefault(acq["session"], []).append(acq["label"])
    return by_session


def latest(world: World, name: str) -> Doc:
    """What `fw.lookup('gears/NAME')` resolves to: the newest upload of that name."""
    docs = [g for g in world.gears.values() if g["gear"]["name"] == name]
    return max(docs, key=lambda g: g["created"])["gear"]


def deserialize(docs: Any, klass: str) -> Any:
    """Read documents the way the unmodified flywheel-sdk reads a response body."""
    return ApiClient().deserialize(SimpleNamespace(data=json.dumps(docs)), klass)


def violations(option: Doc, value: Any) -> list[str]:
    """Why a manifest option would refuse a value (empty if it accepts it)."""
    problems = []
    if not isinstance(value, JSON_TYPES[option["type"]]) or (
        option["type"] != "boolean" and isinstance(value, bool)
    ):
        problems.append(f"type {option['type']}")
    if "enum" in option and value not in option["enum"]:
        problems.append(f"not in {option['enum']}")
    if "minimum" in option and value < option["minimum"]:
        problems.append(f"below {option['minimum']}")
    if "maximum" in option and value > option["maximum"]:
        problems.append(f"above {option['maximum']}")
    return problems


# -- gear_testing, as the tutorial's loops see it -------------------------------
def test_tutorial_dwi_loop_finds_1329_sessions(world: World) -> None:
    gear_testing = project(world, DEMO_PROJECT)
    labels = acquisition_labels(world)
    sessions_to_run = [
        s for s in sessions_of(world, gear_testing) if DWI_LABEL in labels.get(s["_id"], [])
    ]
    assert DWI_LABEL == "acq-64dir_dwi"
    assert len(sessions_to_run) == 1329


def test_dwi_label_matches_by_substring_too(world: World) -> None:
    """No near-miss labels: exact and substring matching agree on 1,329."""
    gear_testing = project(world, DEMO_PROJECT)
    labels = acquisition_labels(world)
    matched = [
        s
        for s in sessions_of(world, gear_testing)
        if any(DWI_LABEL in label for label in labels.get(s["_id"], []))
    ]
    assert len(matched) == 1329


def test_gear_testing_size_and_labels(world: World) -> None:
    gear_testing = project(world, DEMO_PROJECT)
    sessions = sessions_of(world, gear_testing)
    subjects = {s["subject"]["_id"] for s in sessions}
    assert 1350 <= len(sessions) <= 1450
    assert 650 <= len(subjects) <= 750
    assert all(s["label"] in {"ses-PNC1", "ses-PNC2", "ses-PNC3"} for s in sessions)
    subject_labels = [world.subjects[sid]["label"] for sid in subjects]
    assert all(
        label.startswith("sub-") and label[4:].isdigit() and len(label) == 10
        for label in subject_labels
    )
    assert len(set(subject_labels)) == len(subject_labels)
    # No two visits of one subject share a label, and later visits come later.
    by_subject: dict[str, list[Doc]] = {}
    for s in sessions:
        by_subject.setdefault(s["subject"]["_id"], []).append(s)
    for visits in by_subject.values():
        visits.sort(key=lambda s: s["label"])
        assert len({s["label"] for s in visits}) == len(visits)
        assert [s["timestamp"] for s in visits] == sorted(s["timestamp"] for s in visits)


def test_sessions_mix_other_acquisitions(world: World) -> None:
    gear_testing = project(world, DEMO_PROJECT)
    labels = acquisition_labels(world)
    counts = Counter(
        label for s in sessions_of(world, gear_testing) for label in labels.get(s["_id"], [])
    )
    assert counts["anat-T1w_acq-MPRAGE"] == counts["Localizer"] > 1329
    assert counts["task-rest_bold"] > 1000
    assert counts["fmap-phasediff"] > 500


def test_dwi_acquisition_files_are_bids_named(world: World) -> None:
    dwi = next(a for a in world.acquisitions.values() if a["label"] == DWI_LABEL)
    session = world.sessions[dwi["session"]]
    stem = f"{session['subject']['label']}_{session['label']}_acq-64dir_dwi"
    names = [f["name"] for f in dwi["files"]]
    assert names == [f"{stem}.nii.gz", f"{stem}.bval", f"{stem}.bvec", f"{stem}.dicom.zip"]
    assert dwi["files"][0]["type"] == "nifti"
    assert dwi["files"][-1]["type"] == "dicom"


def test_project_files_in_tutorial_order(world: World) -> None:
    gear_testing = project(world, DEMO_PROJECT)
    names = [f["name"] for f in gear_testing["files"]]
    assert names == TUTORIAL_FILES
    assert names[1] == "license.txt"


def test_sdk_reads_the_project_like_the_tutorial(world: World) -> None:
    sdk_project = deserialize(project(world, DEMO_PROJECT), "Project")
    assert sdk_project.label == "gear_testing"
    assert sdk_project.files[1].name == "license.txt"


def test_other_projects(world: World) -> None:
    group = world.groups[DEMO_GROUP]
    assert group["label"] == "PennLINC"
    labels = sorted(p["label"] for p in world.projects.values())
    assert labels == sorted([DEMO_PROJECT, DEMO_SECOND_PROJECT, DEMO_ODD_PROJECT])
    assert "," in DEMO_ODD_PROJECT and '"' in DEMO_ODD_PROJECT
    grmpy = sessions_of(world, project(world, DEMO_SECOND_PROJECT))
    assert 50 <= len(grmpy) <= 70
    assert all(p["group"] == DEMO_GROUP for p in world.projects.values())


# -- users and roles -------------------------------------------------------------
def role_id(world: World, label: str) -> str:
    (rid,) = [rid for rid, r in world.roles.items() if r["label"] == label]
    return rid


def test_every_role_on_gear_testing(world: World) -> None:
    permissions = {p["_id"]: p["role_ids"] for p in project(world, DEMO_PROJECT)["permissions"]}
    assert permissions == {
        DEMO_ADMIN: [ROLE_IDS["admin"]],
        DEMO_ANALYST: [ROLE_IDS["read-write"]],
        DEMO_VIEWER: [ROLE_IDS["read-only"]],
        DEMO_BOT: [ROLE_IDS["read-write"]],
        DEMO_RUNNER: [role_id(world, RUNNER_ROLE)],
        DEMO_AUDITOR: [role_id(world, AUDITOR_ROLE)],
        DEMO_ID_USER: [ROLE_IDS["read-write"]],
    }
    assert DEMO_OUTSIDER not in permissions
    assert {DEMO_ADMIN, DEMO_ANALYST, DEMO_VIEWER, DEMO_OUTSIDER, DEMO_BOT} <= set(world.users)
    assert DEMO_BOT == "fwbot@pennlinc.example"


def test_fwbot_is_a_plain_read_write_user_on_every_project(world: World) -> None:
    """As on a lab's real site: fwbot's key is no site admin's."""
    assert world.service_account == DEMO_BOT
    assert world.users[DEMO_BOT]["root"] is False
    for p in world.projects.values():
        roles = {perm["_id"]: perm["role_ids"] for perm in p["permissions"]}
        assert roles[DEMO_BOT] == [ROLE_IDS["read-write"]], p["label"]


def test_one_root_site_admin(world: World) -> None:
    assert [u for u, doc in world.users.items() if doc["root"]] == [DEMO_SITE_ADMIN]
    assert DEMO_SITE_ADMIN == "siteadmin@pennlinc.example"
    assert all(
        DEMO_SITE_ADMIN not in {x["_id"] for x in p["permissions"]} for p in world.projects.values()
    )


def test_custom_roles_have_actions_and_no_default_role(world: World) -> None:
    runner = world.roles[role_id(world, RUNNER_ROLE)]
    auditor = world.roles[role_id(world, AUDITOR_ROLE)]
    assert runner["default_flywheel_role"] is None and auditor["default_flywheel_role"] is None
    assert {"analyses_create_job", "jobs_manage", "files_download"} <= set(runner["actions"])
    assert "jobs_manage_others" not in runner["actions"]
    assert all("view" in a for a in auditor["actions"])
    assert "files_download" not in auditor["actions"]
    assert world.users[DEMO_RUNNER]["firstname"] == "Rita"
    assert world.users[DEMO_AUDITOR]["lastname"] == "Auditor"
    built_in = {r["label"]: r["default_flywheel_role"] for r in world.roles.values()}
    assert built_in["read-only"] == "ro" and built_in["read-write"] == "rw"
    assert built_in["admin"] == "admin"


def test_outsider_works_on_the_pilot_only(world: World) -> None:
    """No role on gear_testing; a role on the pilot (fwbot's plain key sees only its own
    permission entry there, and finds outsider@ through GET /users)."""
    on = [p["label"] for p in world.projects.values() if DEMO_OUTSIDER in {
        perm["_id"] for perm in p["permissions"]
    }]
    assert on == [DEMO_ODD_PROJECT]


# -- gears -----------------------------------------------------------------------
def test_tutorial_gear_names_and_labels(world: World) -> None:
    for name, label in TUTORIAL_GEARS.items():
        assert latest(world, name)["label"] == label
    assert latest(world, "fmriprep-fwheudiconv")["version"] == "0.2.2_1.5.2"
    assert "qsiprep-hpc" in {g["gear"]["name"] for g in world.gears.values()}


def test_newest_versions_list_in_tutorial_order(world: World) -> None:
    """Sorted by creation, the newest version of each gear follows the tutorial's printout."""
    newest: dict[str, Doc] = {}
    for g in sorted(world.gears.values(), key=lambda g: g["created"]):
        newest[g["gear"]["name"]] = g
    by_upload = sorted(newest.values(), key=lambda g: g["created"])
    order = [g["gear"]["name"] for g in by_upload if g["gear"]["name"] in TUTORIAL_GEARS]
    assert order == list(TUTORIAL_GEARS)


def test_gears_have_several_versions_and_categories(world: World) -> None:
    versions = Counter(g["gear"]["name"] for g in world.gears.values())
    assert all(count >= 2 for count in versions.values())
    assert versions["fmriprep-fwheudiconv"] >= 3
    assert {g["category"] for g in world.gears.values()} == {
        "analysis",
        "converter",
        "utility",
        "qa",
    }
    for g in world.gears.values():
        assert g["gear"]["custom"]["gear-builder"]["category"] == g["category"]
        assert g["gear"]["custom"]["gear-builder"]["image"].endswith(":" + g["gear"]["version"])


def test_sdk_reads_every_gear(world: World) -> None:
    gears = deserialize(list(world.gears.values()), "list[GearDoc]")
    printed = {f"{g.gear.name} : {g.gear.label}" for g in gears}
    assert (
        "fmriprep-hpc : fMRIPREP: A Robust Preprocessing Pipeline for fMRI Data [fw-heudiconv]"
        in printed
    )
    assert all(g.gear.config and g.category for g in gears)


def test_fmriprep_config_as_the_tutorial_prints_it(world: World) -> None:
    config = latest(world, "fmriprep-fwheudiconv")["config"]
    assert list(config)[:4] == [
        "save_intermediate_work",
        "force_syn",
        "bold2t1w_dof",
        "intermediate_folders",
    ]
    assert config["save_intermediate_work"] == {
        "default": False,
        "type": "boolean",
        "description": "Zip and save working directory with intermediate files. [default=false]",
    }
    assert config["force_syn"] == {
        "default": False,
        "type": "boolean",
        "description": "EXPERIMENTAL/TEMPORARY: Use SyN correction in addition to fieldmap "
        "correction, if available. [ default = false ]",
    }
    assert config["bold2t1w_dof"] == {
        "default": 9,
        "enum": [6, 9, 12],
        "type": "integer",
        "description": "Degrees of freedom when registering BOLD to T1w images. 9 (rotation, "
        "translation, and scaling) is used by default to compensate for field "
        "inhomogeneities. Possible choices: 6, 9, 12. [default=9]",
    }
    assert config["intermediate_folders"] == {
        "default": "",
        "type": "string",
        "description": "Space separated list of FOLDERS to retain from the intermediate work "
        "directory.",
    }
    assert {"output_spaces", "fs_no_reconall", "ignore"} <= set(config)


@pytest.mark.parametrize("name", ["fmriprep-fwheudiconv", "fmriprep-hpc", "fmriprep"])
def test_fmriprep_family_options_are_well_formed(world: World, name: str) -> None:
    for key, option in latest(world, name)["config"].items():
        assert option["type"] in JSON_TYPES, key
        assert option["description"], key
        if "default" in option:
            assert violations(option, option["default"]) == [], key
        else:
            assert option.get("optional") is True, key


@pytest.mark.parametrize("name", ["qsiprep-hpc", "qsiprep-fw"])
def test_qsiprep_accepts_the_tutorial_config(world: World, name: str) -> None:
    config = latest(world, name)["config"]
    assert set(TUTORIAL_QSIPREP_CONFIG) <= set(config)
    for key, value in TUTORIAL_QSIPREP_CONFIG.items():
        assert violations(config[key], value) == [], key
        assert violations(config[key], config[key]["default"]) == [], key
    assert "eddy" in config["hmc_model"]["enum"]
    assert "mrdegibbs" in config["unringing_method"]["enum"]
    assert "T1w" in config["output_space"]["enum"]
    assert config["output_resolution"]["type"] == "number"
    assert config["dwi_denoise_window"]["type"] == "integer"


def test_an_older_qsiprep_lacks_a_newer_option(world: World) -> None:
    """Pinning an old version is a real choice: its manifest differs."""
    docs = [g for g in world.gears.values() if g["gear"]["name"] == "qsiprep-hpc"]
    oldest = min(docs, key=lambda g: g["created"])["gear"]
    assert "unringing_method" not in oldest["config"]


@pytest.mark.parametrize(
    "name", ["fmriprep", "fmriprep-fwheudiconv", "fmriprep-hpc", "qsiprep-fw", "qsiprep-hpc"]
)
def test_preprocessing_inputs(world: World, name: str) -> None:
    inputs = latest(world, name)["inputs"]
    assert inputs["freesurfer_license"]["base"] == "file"
    assert inputs["freesurfer_license"]["optional"] is False
    assert inputs["t1w_anatomy"]["optional"] is True
    assert [k for k, v in inputs.items() if v["base"] == "api-key"] == ["api_key"]


def test_catalog_matches_world(world: World) -> None:
    assert len(GEAR_CATALOG) == len(world.gears)
    assert [m["name"] for m, _, _ in GEAR_CATALOG] == [
        g["gear"]["name"] for g in world.gears.values()
    ]


# -- determinism -----------------------------------------------------------------
def documents(world: World) -> dict[str, Any]:
    return {
        name: getattr(world, name)
        for name in ("users", "groups", "projects", "subjects", "sessions", "acquisitions")
    } | {"gears": world.gears, "roles": world.roles}


def test_same_seed_same_documents(world: World) -> None:
    assert documents(build_demo_world()) == documents(world)
    assert documents(build_demo_world(seed=11)) == documents(build_demo_world(seed=11))


def test_different_seed_different_world_same_tutorial_facts(world: World) -> None:
    other = build_demo_world(seed=8)
    assert documents(other) != documents(world)
    gear_testing = project(other, DEMO_PROJECT)
    assert [s["subject"]["label"] for s in sessions_of(other, gear_testing)] != [
        s["subject"]["label"] for s in sessions_of(world, gear_testing)
    ]
    labels = acquisition_labels(other)
    dwi = [s for s in sessions_of(other, gear_testing) if DWI_LABEL in labels.get(s["_id"], [])]
    assert len(dwi) == 1329
    assert [f["name"] for f in gear_testing["files"]] == TUTORIAL_FILES


def test_worlds_do_not_share_documents() -> None:
    """A server mutating its world (jobs, analyses, edited gears) must not leak into another."""
    first, second = build_demo_world(), build_demo_world()
    gear = next(iter(first.gears.values()))
    gear["gear"]["config"]["injected"] = {"type": "string"}
    assert all("injected" not in g["gear"]["config"] for g in second.gears.values())
    assert all("injected" not in m["config"] for m, _, _ in GEAR_CATALOG)


def test_a_user_whose_id_is_not_their_email(world: World) -> None:
    """On a real site a user's ``_id`` and ``email`` are separate fields (SDK UserOutput:
    ``id``, ``email``); permissions name the ``_id``."""
    user = world.users[DEMO_ID_USER]
    assert user["_id"] == "jdoe42" and user["email"] == DEMO_ID_USER_EMAIL
    assert DEMO_ID_USER_EMAIL not in world.users
