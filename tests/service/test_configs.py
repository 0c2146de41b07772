"""Saved configs: the file shape, the directory, the check against a gear's manifest."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from flywheel.models.gear_mixin import GearMixin

from bot.domain import Actor, ConfigOption, GearDetail, GearInput, GearSummary
from bot.errors import NotFound, PermissionDenied
from bot.flywheel.sdk_gateway import SdkGateway
from bot.service.configs import (
    SIZE_TAGS,
    ConfigError,
    ConfigLibrary,
    InputRef,
    SavedConfig,
    SessionSelection,
    check_against_manifest,
    default_config,
    effective_config,
    manifest_problems,
)
from bot.service.policy import Policy
from bot.store.db import Store
from doubles.tutorial import TUTORIAL_QSIPREP_CONFIG
from localfw.gear_catalog import SPECS
from tests.fakes import REPO_CONFIGS, FakeFlywheelGateway, fake_services

# -- helpers -------------------------------------------------------------------


def gear(**overrides: object) -> GearDetail:
    """A manifest with one option of each kind and each kind of input."""
    detail = GearDetail(
        summary=GearSummary(
            gear_id="g1", name="qsiprep-hpc", label="QSIPrep", version="0.4.0", category="analysis"
        ),
        versions=["0.4.0", "0.3.8"],
        inputs=[
            GearInput(name="api_key", base="api-key"),
            GearInput(name="freesurfer_license", base="file"),
            GearInput(name="recon_spec", base="file", optional=True),
            GearInput(name="session_context", base="context"),
        ],
        config=[
            ConfigOption(name="hmc_model", type="string", default="eddy", enum=["eddy", "3dSHORE"]),
            ConfigOption(name="b0_threshold", type="integer", default=100, minimum=0, maximum=1000),
            ConfigOption(
                name="output_resolution", type="number", default=1.25, minimum=0.5, maximum=5.0
            ),
            ConfigOption(name="sloppy", type="boolean", default=False),
            ConfigOption(name="output_space", type="string", default="T1w"),
            ConfigOption(name="dummy_scans", type="integer", optional=True),
        ],
    )
    return detail.model_copy(update=overrides)


def saved(**fields: object) -> SavedConfig:
    doc: dict[str, object] = {
        "name": "qsiprep-64dir",
        "gear": "qsiprep-hpc",
        "inputs": {"freesurfer_license": {"project_file": "license.txt"}},
    }
    doc.update(fields)
    return SavedConfig.model_validate(doc)


def problems_of(config: dict[str, object], **fields: object) -> list[str]:
    return manifest_problems(saved(config=config, **fields), gear())


def write(directory: Path, name: str, doc: object) -> Path:
    path = directory / name
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc), encoding="utf-8")
    return path


def load_error(tmp_path: Path, doc: object, name: str = "qsiprep-64dir.yml") -> ConfigError:
    write(tmp_path, name, doc)
    with pytest.raises(ConfigError) as err:
        ConfigLibrary(tmp_path).get(Path(name).stem)
    return err.value


GOOD = {"gear": "qsiprep-hpc", "config": {"hmc_model": "eddy"}}


# -- the file shape ------------------------------------------------------------


def test_an_unknown_key_is_named_with_the_nearest_real_one(tmp_path: Path) -> None:
    err = load_error(tmp_path, {**GOOD, "labl": "x"})
    assert str(err).startswith("qsiprep-64dir.yml: labl: unknown key; did you mean `label`?")
    assert "keys: name, gear, version, label, size" in str(err)


def test_an_unknown_session_rule_lists_the_rules(tmp_path: Path) -> None:
    err = load_error(tmp_path, {**GOOD, "sessions": {"has_acq": "dwi"}})
    assert "sessions.has_acq: unknown key; did you mean `has_acquisition`?" in str(err)
    assert "acquisition_matches" in str(err)


def test_a_size_outside_the_aliases_lists_them(tmp_path: Path) -> None:
    err = load_error(tmp_path, {**GOOD, "size": "medium"})
    assert err.problems == ["size: `medium` is not allowed; one of small, large or extra-large"]


def test_a_skip_policy_outside_complete_or_none_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {**GOOD, "skip": "failed"})
    assert err.problems == ["skip: `failed` is not allowed; one of complete or none"]


def test_a_regex_that_does_not_compile_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {**GOOD, "sessions": {"acquisition_matches": "acq-(64dir"}})
    assert "sessions.acquisition_matches: not a valid regular expression" in str(err)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("QSIPrep_{subject}", "unknown field {subject}; a label may use {date}, {gear}"),
        ("QSIPrep_{}", "unknown field {}"),
        ("QSIPrep_{date", "write a literal brace as {{ or }}"),
    ],
)
def test_a_label_may_only_use_the_four_fields(tmp_path: Path, label: str, expected: str) -> None:
    err = load_error(tmp_path, {**GOOD, "label": label})
    assert err.problems[0].startswith("label: ")
    assert expected in err.problems[0]


def test_an_input_given_by_index_is_refused_with_the_by_name_form(tmp_path: Path) -> None:
    err = load_error(tmp_path, {**GOOD, "inputs": {"freesurfer_license": 1}})
    assert "give the project file by name, never by index" in str(err)
    assert "{project_file: license.txt}" in str(err)


def test_a_version_yaml_reads_as_a_number_must_be_quoted(tmp_path: Path) -> None:
    err = load_error(tmp_path, "gear: qsiprep-hpc\nversion: 1.10\n")
    assert 'version: write it in quotes, e.g. "1.1"' in str(err)


def test_a_missing_gear_and_an_empty_subject_list_are_both_reported(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"sessions": {"subjects": []}})
    assert "gear: required and missing" in err.problems
    assert any(p.startswith("sessions.subjects: list at least one subject") for p in err.problems)


def test_the_name_is_the_file_stem(tmp_path: Path) -> None:
    write(tmp_path, "qsiprep-64dir.yml", GOOD)
    assert ConfigLibrary(tmp_path).get("qsiprep-64dir").name == "qsiprep-64dir"

    err = load_error(tmp_path, {**GOOD, "name": "qsiprep-80dir"}, name="other.yml")
    assert "name: `qsiprep-80dir` differs from the file name" in str(err)
    assert "qsiprep-80dir.yml" in str(err)


def test_defaults_of_a_minimal_file() -> None:
    s = SavedConfig(name="q", gear="qsiprep-hpc")
    assert s.label == "{gear}_{version}_{date}"
    assert s.skip == "complete"
    assert s.expect_outputs == ["*.html.zip"]
    assert s.size is None and s.vm_tag is None
    assert s.sessions.all_sessions and s.sessions.describe() == "all sessions"


def test_label_templates_fill_date_gear_version_and_config() -> None:
    when = datetime(2024, 3, 5, 14, 7)
    s = saved(label="QSIPrep_{date}_{gear}_{version}")
    assert s.label_for("0.4.0_0.8.0", when) == "QSIPrep_2024-03-05_14-07_qsiprep-hpc_0.4.0_0.8.0"
    assert saved(label="{config}-{date}").label_for("1", when) == "qsiprep-64dir-2024-03-05_14-07"
    assert saved().label_for("0.4.0", when) == "qsiprep-hpc_0.4.0_2024-03-05_14-07"


@pytest.mark.parametrize("size", ["small", "large", "extra-large"])
def test_each_size_alias_maps_to_the_tutorials_vm_tag(size: str) -> None:
    assert saved(size=size).vm_tag == SIZE_TAGS[size]
    assert SIZE_TAGS["large"] == "vm-n1-highmem-4_disk-300GB_swap-30G"


def test_session_rules_combine_and_match_case_sensitively() -> None:
    both = SessionSelection(
        has_acquisition="dwi", acquisition_matches=r"^acq-\d+dir", subjects=["1"]
    )
    assert both.matches_acquisition("acq-64dir_dwi")
    assert not both.matches_acquisition("acq-64dir_DWI")  # contains-rule fails
    assert not both.matches_acquisition("old_acq-64dir_dwi")  # regex anchored at the start
    assert both.selects_subject("1") and not both.selects_subject("2")
    assert SessionSelection().selects_subject("anyone")
    assert (
        both.describe()
        == r"acquisition contains dwi; acquisition matches /^acq-\d+dir/; subjects 1"
    )


# -- the check against the manifest ------------------------------------------


def test_a_config_that_fits_has_no_problems() -> None:
    config = {"hmc_model": "3dSHORE", "b0_threshold": 50, "output_resolution": 2, "sloppy": True}
    assert problems_of(config) == []
    check_against_manifest(saved(config=config), gear())  # does not raise


def test_an_unknown_option_suggests_the_nearest_and_lists_the_options() -> None:
    [problem] = problems_of({"hmc_modle": "eddy"})
    assert problem.startswith("config.hmc_modle: not an option of qsiprep-hpc 0.4.0")
    assert "did you mean `hmc_model`?" in problem
    assert "options: b0_threshold, dummy_scans, hmc_model" in problem


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("b0_threshold", True, "config.b0_threshold: `true` is not an integer"),
        ("b0_threshold", 100.0, "config.b0_threshold: `100.0` is not an integer"),
        ("output_resolution", False, "config.output_resolution: `false` is not a number"),
        ("output_resolution", "2", "config.output_resolution: `2` is not a number"),
        ("sloppy", "no", "config.sloppy: `no` is not a boolean (write true or false)"),
        ("output_space", 1, 'config.output_space: `1` is not a string (write it in quotes: "1")'),
    ],
)
def test_a_value_of_the_wrong_type_names_the_key_and_type(
    key: str, value: object, expected: str
) -> None:
    assert problems_of({key: value}) == [expected]


def test_a_number_option_accepts_an_int() -> None:
    assert problems_of({"output_resolution": 2}) == []


def test_a_value_outside_the_enum_lists_the_allowed_values() -> None:
    assert problems_of({"hmc_model": "eddie"}) == [
        "config.hmc_model: `eddie` is not allowed; one of eddy, 3dSHORE"
    ]


def test_values_outside_the_bounds_name_the_bound() -> None:
    assert problems_of({"output_resolution": 0.25, "b0_threshold": 5000}) == [
        "config.output_resolution: `0.25` is below the minimum 0.5",
        "config.b0_threshold: `5000` is above the maximum 1000",
    ]


def test_an_unknown_input_and_a_non_file_input_are_refused() -> None:
    inputs = {
        "freesurfer_license": {"project_file": "license.txt"},
        "freesurfer_licence": {"project_file": "license.txt"},
        "api_key": {"project_file": "key.txt"},
    }
    problems = manifest_problems(saved(inputs=inputs), gear())
    assert problems[0].startswith("inputs.freesurfer_licence: not a file input of qsiprep-hpc")
    assert "did you mean `freesurfer_license`?" in problems[0]
    assert "(file inputs: freesurfer_license, recon_spec)" in problems[0]
    assert problems[1].startswith("inputs.api_key: not a file input")
    assert len(problems) == 2


def test_a_missing_required_file_input_is_named_but_api_key_and_context_are_not() -> None:
    problems = manifest_problems(saved(inputs={}), gear())
    assert problems == [
        "inputs.freesurfer_license: required; give a project file, "
        "e.g. `freesurfer_license: {project_file: FILE}`"
    ]


def test_a_pinned_version_the_site_lacks_lists_the_installed_ones() -> None:
    assert manifest_problems(saved(version="0.1.0"), gear()) == [
        "version: `0.1.0` is not installed; one of 0.4.0, 0.3.8"
    ]


def test_a_required_option_without_default_must_be_set() -> None:
    required = ConfigOption(name="subject_id", type="string", optional=False)
    detail = gear(config=[*gear().config, required])
    assert manifest_problems(saved(), detail) == [
        "config.subject_id: required by the gear and has no default"
    ]


def test_every_problem_is_reported_at_once_prefixed_with_the_file(tmp_path: Path) -> None:
    doc = {"gear": "qsiprep-hpc", "config": {"hmc_model": "eddie", "sloppy": "yes please"}}
    write(tmp_path, "qsiprep-64dir.yml", doc)
    config = ConfigLibrary(tmp_path).get("qsiprep-64dir")

    with pytest.raises(ConfigError) as err:
        check_against_manifest(config, gear())

    lines = str(err.value).splitlines()
    assert lines == [
        "qsiprep-64dir.yml: config.hmc_model: `eddie` is not allowed; one of eddy, 3dSHORE",
        "qsiprep-64dir.yml: config.sloppy: `yes please` is not a boolean (write true or false)",
        "qsiprep-64dir.yml: inputs.freesurfer_license: required; give a project file, "
        "e.g. `freesurfer_license: {project_file: FILE}`",
    ]
    assert err.value.hint == "`/fw gear qsiprep-hpc` lists its options, allowed values and inputs."


# -- defaults and effective values --------------------------------------------


def test_the_gears_defaults_take_the_license_from_the_project() -> None:
    detail = gear(
        inputs=[*gear().inputs, GearInput(name="heuristic", base="file")],
    )
    d = default_config(detail)
    assert d.name == d.gear == "qsiprep-hpc"
    assert d.config == {} and d.version is None
    assert d.inputs == {"freesurfer_license": InputRef(project_file="license.txt")}
    # Other required file inputs are left for the check to name.
    assert manifest_problems(d, detail) == [
        "inputs.heuristic: required; give a project file, e.g. `heuristic: {project_file: FILE}`"
    ]


def test_effective_values_are_defaults_overlaid_with_the_saved_ones() -> None:
    effective = effective_config(saved(config={"hmc_model": "3dSHORE", "dummy_scans": 4}), gear())
    assert effective == {
        "hmc_model": "3dSHORE",
        "b0_threshold": 100,
        "output_resolution": 1.25,
        "sloppy": False,
        "output_space": "T1w",
        "dummy_scans": 4,
    }
    assert "dummy_scans" not in effective_config(saved(), gear())  # no default: Flywheel's call


def test_effective_values_match_what_the_sdks_gear_run_sends() -> None:
    spec = next(s for s in SPECS if s.name == "qsiprep-hpc")
    manifest = spec.manifest(spec.versions[-1])
    sdk_defaults = GearMixin.get_default_config(SimpleNamespace(gear=manifest))
    overrides = {"hmc_model": "3dSHORE", "sloppy": True}
    detail = _detail_from_manifest(manifest)

    assert effective_config(saved(config=overrides), detail) == {**sdk_defaults, **overrides}


def _detail_from_manifest(manifest: dict[str, object]) -> GearDetail:
    from bot.flywheel.parse import gear_detail

    return gear_detail({"_id": "g", "category": "analysis", "gear": manifest}, [])


# -- the directory --------------------------------------------------------------


def test_a_broken_file_is_listed_with_its_reason_and_the_others_still_load(tmp_path: Path) -> None:
    write(tmp_path, "good.yml", GOOD)
    write(tmp_path, "bad-yaml.yml", "gear: qsiprep-hpc\nconfig: {hmc_model: eddy\n")
    write(tmp_path, "bad-schema.yaml", {**GOOD, "size": "huge"})
    write(tmp_path, "notes.txt", "not a config")
    library = ConfigLibrary(tmp_path)

    entries = {e.name: e for e in library.entries()}

    assert sorted(entries) == ["bad-schema", "bad-yaml", "good"]
    assert entries["good"].valid
    assert entries["bad-yaml"].saved is None
    assert entries["bad-yaml"].problems[0].startswith("not valid YAML:")
    assert "line 3" in entries["bad-yaml"].problems[0]
    assert entries["bad-schema"].gear == "qsiprep-hpc"  # still filed under its gear
    assert library.names() == ["bad-schema", "bad-yaml", "good"]
    with pytest.raises(ConfigError, match=r"^bad-schema\.yaml: size: `huge` is not allowed"):
        library.get("bad-schema")


def test_an_unknown_name_suggests_the_nearest(tmp_path: Path) -> None:
    write(tmp_path, "qsiprep-64dir.yml", GOOD)
    with pytest.raises(NotFound) as err:
        ConfigLibrary(tmp_path).get("qsiprep-64")
    assert err.value.suggestions == ["qsiprep-64dir"]
    assert "Did you mean `qsiprep-64dir`?" in err.value.user_text()


def test_a_name_typed_in_another_case_is_found(tmp_path: Path) -> None:
    write(tmp_path, "qsiprep-64dir.yml", GOOD)
    assert ConfigLibrary(tmp_path).get("QSIPrep-64dir").name == "qsiprep-64dir"


def test_an_edit_is_seen_without_a_restart(tmp_path: Path) -> None:
    path = write(tmp_path, "q.yml", GOOD)
    library = ConfigLibrary(tmp_path)
    assert library.get("q").size is None

    write(tmp_path, "q.yml", {**GOOD, "size": "large"})
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    assert library.get("q").size == "large"


def test_two_files_with_one_name_flag_the_second(tmp_path: Path) -> None:
    write(tmp_path, "q.yml", GOOD)
    write(tmp_path, "q.yaml", {**GOOD, "size": "small"})
    entries = ConfigLibrary(tmp_path).entries()
    assert [(e.file, e.valid) for e in entries] == [("q.yml", True), ("q.yaml", False)]
    assert "a second file for `q` (also q.yml)" in entries[1].problems[0]


def test_configs_by_gear_and_the_one_named_after_the_gear(tmp_path: Path) -> None:
    write(tmp_path, "qsiprep-hpc.yml", GOOD)
    write(tmp_path, "qsiprep-64dir.yml", GOOD)
    write(tmp_path, "fmriprep-hpc.yml", {"gear": "fmriprep-hpc"})
    write(tmp_path, "dcm2niix.yml", {"gear": "fmriprep-hpc"})
    library = ConfigLibrary(tmp_path)

    assert [c.name for c in library.for_gear("qsiprep-hpc")] == ["qsiprep-64dir", "qsiprep-hpc"]
    named = library.named_after("qsiprep-hpc")
    assert named is not None and named.name == "qsiprep-hpc"
    assert library.named_after("mriqc") is None
    with pytest.raises(ConfigError, match="named after `dcm2niix` but runs `fmriprep-hpc`"):
        library.named_after("dcm2niix")


def test_a_broken_config_named_after_the_gear_is_an_error_not_the_defaults(tmp_path: Path) -> None:
    write(tmp_path, "qsiprep-hpc.yml", {**GOOD, "skip": "sometimes"})
    with pytest.raises(ConfigError, match=r"qsiprep-hpc\.yml: skip:"):
        ConfigLibrary(tmp_path).named_after("qsiprep-hpc")


def test_a_missing_directory_has_no_configs(tmp_path: Path) -> None:
    library = ConfigLibrary(tmp_path / "nowhere")
    assert library.entries() == [] and library.named_after("qsiprep-hpc") is None


# -- the repository's examples against the demo world ------------------------------




def test_the_examples_fit_the_demo_worlds_manifests(demo_gateway: SdkGateway) -> None:
    library = ConfigLibrary(REPO_CONFIGS)
    entries = library.entries()
    assert {e.name for e in entries} >= {"qsiprep-hpc", "qsiprep-64dir", "fmriprep-hpc"}
    for entry in entries:
        assert entry.saved is not None, entry.problems
        detail = demo_gateway.get_gear(entry.saved.gear, entry.saved.version)
        assert detail is not None, entry.name
        check_against_manifest(entry.saved, detail)


def test_the_qsiprep_example_is_the_tutorials_config(demo_gateway: SdkGateway) -> None:
    example = ConfigLibrary(REPO_CONFIGS).get("qsiprep-hpc")
    assert example.config == TUTORIAL_QSIPREP_CONFIG
    assert example.inputs == {"freesurfer_license": InputRef(project_file="license.txt")}
    assert example.vm_tag == "vm-n1-highmem-4_disk-300GB_swap-30G"
    assert example.sessions.has_acquisition == "acq-64dir_dwi"
    assert example.label == "QSIPrep_{date}_{gear}_{version}"


def test_the_pinned_example_would_fail_with_an_option_its_version_lacks(
    demo_gateway: SdkGateway,
) -> None:
    pinned = ConfigLibrary(REPO_CONFIGS).get("qsiprep-64dir")
    assert pinned.version is not None
    detail = demo_gateway.get_gear("qsiprep-hpc", pinned.version)
    assert detail is not None
    with_unringing = pinned.model_copy(
        update={"config": {**pinned.config, "unringing_method": "mrdegibbs"}}
    )
    [problem] = manifest_problems(with_unringing, detail)
    assert problem.startswith(
        f"config.unringing_method: not an option of qsiprep-hpc {pinned.version}"
    )


# -- the service ------------------------------------------------------------------

# fits the fake gateway's qsiprep-hpc, which requires output_resolution
FAKE_GOOD = {
    "gear": "qsiprep-hpc",
    "config": {"output_resolution": 2.0},
    "inputs": {"freesurfer_license": {"project_file": "license.txt"}},
}
ACTOR = Actor(email="analyst@pennlinc.example", channel_id="C0LAB")


def test_listing_flags_configs_that_no_longer_fit_and_is_audited(
    tmp_path: Path, sqlite_store: Store
) -> None:
    write(tmp_path, "qsiprep-hpc.yml", FAKE_GOOD)
    write(tmp_path, "old.yml", {**FAKE_GOOD, "config": {"combine_all_dwis": True}})
    write(tmp_path, "gone.yml", {"gear": "no-such-gear"})
    gateway = FakeFlywheelGateway()
    services = fake_services(sqlite_store, gateway, configs_dir=tmp_path)

    entries = {e.name: e for e in services.configs.list_configs(ACTOR)}

    assert entries["qsiprep-hpc"].valid
    assert entries["old"].problems[0].startswith("config.combine_all_dwis: not an option")
    assert entries["gone"].problems == (
        "gear: `no-such-gear` is not installed on this site (see `/fw gears`)",
    )
    assert gateway.calls.count("get_gear") == 2  # one read per gear, not per config
    assert [e.action for e in sqlite_store.audit.recent()] == ["configs.list"]
    only = services.configs.list_configs(ACTOR, gear="no-such-gear")
    assert [e.name for e in only] == ["gone"]


def test_showing_a_config_gives_effective_values_and_defaults(
    tmp_path: Path, sqlite_store: Store
) -> None:
    doc = {**FAKE_GOOD, "config": {"hmc_model": "3dSHORE", "output_resolution": 2.0}}
    write(tmp_path, "qsiprep-hpc.yml", doc)
    services = fake_services(sqlite_store, configs_dir=tmp_path)

    view = services.configs.show_config(ACTOR, "qsiprep-hpc")

    assert view.valid and view.file == "qsiprep-hpc.yml"
    assert view.gear is not None and view.gear.summary.version == "0.21.4"
    assert view.defaults["hmc_model"] == "eddy"
    assert view.effective["hmc_model"] == "3dSHORE"
    assert view.effective["output_space"] == "T1w"  # a default the config leaves alone


def test_a_refused_actor_reads_no_config(tmp_path: Path, sqlite_store: Store) -> None:
    write(tmp_path, "qsiprep-hpc.yml", FAKE_GOOD)
    gateway = FakeFlywheelGateway()
    services = fake_services(
        sqlite_store, gateway, Policy(allowed_channels=["C0OTHER"]), configs_dir=tmp_path
    )
    with pytest.raises(PermissionDenied):
        services.configs.show_config(ACTOR, "qsiprep-hpc")
    with pytest.raises(PermissionDenied):
        services.configs.list_configs(ACTOR)
    assert "get_gear" not in gateway.calls
    assert [e.outcome for e in sqlite_store.audit.recent()] == ["refused", "refused"]
