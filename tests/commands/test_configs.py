"""`/fw configs` and `/fw config NAME`: what a user sees, over the fake gateway and real files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.domain import Actor
from bot.store.db import Store
from commands.context import CommandContext
from commands.dispatch import dispatch
from commands.reply import Reply
from tests.commands.conftest import visible_text
from tests.fakes import FakeFlywheelGateway, fake_services

Fw = Callable[[str], Reply]

# Configs that fit (or deliberately do not fit) the fake gateway's gears.
QSIPREP = {
    "gear": "qsiprep-hpc",
    "description": "QSIPrep on 64-direction DWIs.",
    "label": "QSIPrep_{date}_{gear}_{version}",
    "size": "large",
    "config": {"hmc_model": "eddy", "output_resolution": 2.0, "save_outputs": True},
    "inputs": {"freesurfer_license": {"project_file": "license.txt"}},
    "sessions": {"has_acquisition": "acq-64dir_dwi"},
}
PINNED = {
    **QSIPREP,
    "version": "0.20.0",
    "size": "extra-large",
    "sessions": {"acquisition_matches": "^acq-64dir", "subjects": ["1001", "1002"]},
    "skip": "none",
}
STALE = {**QSIPREP, "config": {"output_resolution": 2.0, "combine_all_dwis": True}}
FMRIPREP = {"gear": "fmriprep", "config": {"bold2t1w_dof": 12}}


def write(directory: Path, name: str, doc: Any) -> None:
    text = doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False)
    (directory / name).write_text(text, encoding="utf-8")


@pytest.fixture
def configs_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "configs"
    directory.mkdir()
    write(directory, "qsiprep-hpc.yml", QSIPREP)
    write(directory, "qsiprep-pinned.yml", PINNED)
    write(directory, "qsiprep-stale.yml", STALE)
    write(directory, "fmriprep.yml", FMRIPREP)
    write(directory, "broken.yml", {**QSIPREP, "size": "huge"})
    return directory


@pytest.fixture
def fw(configs_dir: Path, sqlite_store: Store) -> Fw:
    actor = Actor(slack_user_id="U024BE7LH", email="mcieslak@pennlinc.example")
    services = fake_services(sqlite_store, FakeFlywheelGateway(), configs_dir=configs_dir)
    ctx = CommandContext(actor=actor, services=services)
    return lambda text: dispatch(text, ctx)


def lines_of(reply: Reply) -> dict[str, str]:
    """Each config's line in the Slack list, by name."""
    out: dict[str, str] = {}
    current = ""
    for line in visible_text(reply).splitlines():
        if line.startswith("• `"):
            current = line[3 : line.index("`", 3)]
            out[current] = line
        elif current and line.startswith("    "):
            out[current] += "\n" + line
    return out


def test_configs_lists_each_config_on_one_line_with_its_facts(fw: Fw) -> None:
    reply = fw("configs")

    assert visible_text(reply).startswith("*5 saved configs*")
    assert reply.text == (
        "5 saved configs: broken, fmriprep, qsiprep-hpc, qsiprep-pinned, qsiprep-stale"
    )
    lines = lines_of(reply)
    assert lines["qsiprep-hpc"] == (
        "• `qsiprep-hpc` qsiprep-hpc latest · large · acquisition contains acq-64dir_dwi"
    )
    assert lines["qsiprep-pinned"] == (
        "• `qsiprep-pinned` qsiprep-hpc 0.20.0 · extra-large · "
        "acquisition matches /^acq-64dir/; subjects 1001, 1002"
    )
    assert lines["fmriprep"] == "• `fmriprep` fmriprep latest · default size · all sessions"
    assert "/fw config NAME" in visible_text(reply)


def test_configs_flags_a_broken_file_and_a_stale_config_with_the_reason(fw: Fw) -> None:
    lines = lines_of(fw("configs"))

    assert "invalid_ (broken.yml): size: `huge` is not allowed; one of small" in lines["broken"]
    assert (
        "invalid_ (qsiprep-stale.yml): config.combine_all_dwis: not an option of qsiprep-hpc"
        in lines["qsiprep-stale"]
    )
    assert "invalid" not in lines["qsiprep-hpc"]


def test_configs_in_the_console_is_a_table_with_problems_below(fw: Fw) -> None:
    console = fw("configs").console_text()

    assert "NAME" in console and "GEAR VERSION" in console and "SESSIONS" in console
    assert "qsiprep-pinned  qsiprep-hpc 0.20.0" in console
    assert "! broken.yml:\n  - size: `huge` is not allowed" in console


def test_configs_for_one_gear(fw: Fw) -> None:
    reply = fw("configs gear=fmriprep")
    assert reply.text == "1 saved config: fmriprep"
    assert visible_text(reply).startswith("*1 saved config* for `fmriprep`")


def test_configs_for_a_gear_without_any_says_what_a_launch_would_use(fw: Fw) -> None:
    reply = fw("configs gear=dcm2niix")
    assert reply.text == "No saved configs for `dcm2niix`."
    assert "`/fw launch dcm2niix` uses the gear's defaults" in visible_text(reply)


def test_configs_in_an_empty_directory(sqlite_store: Store, tmp_path: Path) -> None:
    services = fake_services(sqlite_store, configs_dir=tmp_path / "none")
    ctx = CommandContext(actor=Actor(email="a@pennlinc.example"), services=services)
    reply = dispatch("configs", ctx)
    assert reply.text == "No saved configs yet."
    assert "docs/configs.md" in visible_text(reply)


def test_config_shows_everything_in_the_config(fw: Fw) -> None:
    reply = fw("config qsiprep-hpc")
    seen = visible_text(reply)

    assert reply.text == "Config qsiprep-hpc: qsiprep-hpc latest, valid"
    assert seen.startswith("Config qsiprep-hpc\nQSIPrep on 64-direction DWIs.")
    for fact in (
        "*Gear*\nqsiprep-hpc latest (0.21.4)",
        "*Size*\nlarge (vm-n1-highmem-4_disk-300GB_swap-30G)",
        "*Sessions*\nacquisition contains acq-64dir_dwi",
        "*Skip*\ncomplete: skips sessions with a pending, running or complete run",
        "*Label*\nQSIPrep_{date}_{gear}_{version}",
        "*Inputs*\nfreesurfer_license ← project file license.txt",
        "*Expects*\n*.html.zip",
        "*File*\nqsiprep-hpc.yml",
    ):
        assert fact in seen
    assert "problem" not in seen
    assert "`/fw launch qsiprep-hpc project=PROJECT config=qsiprep-hpc`" in seen


def test_config_shows_its_values_against_the_defaults_and_the_defaults_left_alone(fw: Fw) -> None:
    seen = visible_text(fw("config qsiprep-hpc"))

    assert "*Config values (3 set)*" in seen
    assert "`hmc_model` = `eddy` (same as the default)" in seen
    assert "`output_resolution` = `2.0` (no default)" in seen
    assert "`save_outputs` = `true` (default `false`)" in seen
    assert "*Left at the gear's defaults (3)*" in seen
    assert "`output_space` = `T1w`" in seen and "`unringing_method` = `none`" in seen


def test_config_of_a_pinned_version_reads_that_versions_manifest(fw: Fw) -> None:
    seen = visible_text(fw("config qsiprep-pinned"))
    assert "*Gear*\nqsiprep-hpc 0.20.0 (pinned)" in seen
    assert "unringing_method" not in seen  # the newest release added it; 0.20.0 lacks it
    assert "*Skip*\nnone: reruns sessions with a complete run" in seen


def test_config_lists_its_problems_against_the_manifest(fw: Fw) -> None:
    reply = fw("config qsiprep-stale")
    seen = visible_text(reply)

    assert reply.text == "Config qsiprep-stale: qsiprep-hpc latest, 1 problem"
    assert "*1 problem* — a launch with this config is refused" in seen
    assert ":warning: config.combine_all_dwis: not an option of qsiprep-hpc 0.21.4" in seen
    assert "`combine_all_dwis` = `true` (not an option of this gear)" in seen


def test_config_of_a_broken_file_names_the_file_and_the_key(fw: Fw) -> None:
    reply = fw("config broken")

    assert reply.ephemeral
    assert "broken.yml: size: `huge` is not allowed; one of small, large or extra-large" in (
        reply.text
    )
    assert "docs/configs.md" in visible_text(reply)


def test_an_unknown_config_suggests_the_nearest(fw: Fw) -> None:
    reply = fw("config qsiprep-hcp")
    assert "No config named `qsiprep-hcp`." in reply.text
    assert "Did you mean `qsiprep-hpc`" in visible_text(reply)


def test_config_needs_a_name(fw: Fw) -> None:
    reply = fw("config")
    assert "`/fw config` needs NAME" in reply.text


def test_config_in_the_console_lists_facts_and_values(fw: Fw) -> None:
    console = fw("config qsiprep-stale").console_text()
    assert "  Gear      qsiprep-hpc latest (0.21.4)" in console
    assert "1 problem:\n  ! config.combine_all_dwis: not an option" in console
    assert "  save_outputs = true (default false)" not in console  # STALE does not set it
    assert "Launch: /fw launch qsiprep-hpc project=PROJECT config=qsiprep-stale" in console


def test_help_describes_both_commands(fw: Fw) -> None:
    overview = visible_text(fw("help"))
    assert "configs" in overview and "config" in overview
    assert "gear=GEAR" in visible_text(fw("configs help"))


def _within_slack_limits(reply: Reply) -> None:
    assert reply.text and len(reply.text) <= 3000
    assert len(reply.blocks) <= 50
    for block in reply.blocks:
        if block["type"] == "section":
            texts = [block["text"]] if "text" in block else block["fields"]
            assert all(len(t["text"]) <= 3000 for t in texts)
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150


def test_hundreds_of_configs_and_problems_stay_within_slack_limits(
    sqlite_store: Store, tmp_path: Path
) -> None:
    for i in range(300):
        write(tmp_path, f"config-{i:03d}.yml", {**STALE, "description": "x" * 2000})
    many_keys = {f"option_{i:03d}": i for i in range(200)}
    write(tmp_path, "huge.yml", {**QSIPREP, "config": many_keys, "description": "y" * 5000})
    services = fake_services(sqlite_store, configs_dir=tmp_path)
    ctx = CommandContext(actor=Actor(email="a@pennlinc.example"), services=services)

    listing = dispatch("configs", ctx)
    detail = dispatch("config huge", ctx)

    _within_slack_limits(listing)
    _within_slack_limits(detail)
    assert "more" in visible_text(listing)  # "… and N more", never silently dropped
    assert "more" in visible_text(detail)
