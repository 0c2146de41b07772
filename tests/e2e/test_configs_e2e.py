"""`/fw configs` and `/fw config` from Slack: the repository's configs/ against the demo world."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.demo import EXAMPLE_CONFIGS, demo_configs_dir
from bot.service.configs import ConfigLibrary
from bot.store.db import Store
from localfw.server import LocalFlywheel
from tests.fixtures.slack import Slash


def rendered(answer: dict[str, Any]) -> str:
    return answer["text"] + json.dumps(answer.get("blocks", []), ensure_ascii=False)


def test_configs_lists_the_example_configs_all_valid(slash: Slash) -> None:
    answer = slash("configs").answer()

    text = rendered(answer)
    for name in ("qsiprep-hpc", "qsiprep-64dir", "fmriprep-hpc"):
        assert f"`{name}`" in text
    assert "qsiprep-hpc 0.3.8_0.7.1 · large · acquisition matches /^acq-64dir_dwi$/" in text
    assert "invalid" not in text  # every example fits the demo world's manifests


def test_config_shows_the_tutorials_qsiprep_config_against_the_manifest(slash: Slash) -> None:
    answer = slash("config qsiprep-hpc").answer()

    text = rendered(answer)
    assert answer["text"] == "Config qsiprep-hpc: qsiprep-hpc latest, valid"
    assert "qsiprep-hpc latest (0.4.0_0.8.0)" in text
    assert "vm-n1-highmem-4_disk-300GB_swap-30G" in text
    assert "`unringing_method` = `mrdegibbs` (default `none`)" in text
    assert "`b0_threshold` = `100`" in text  # a manifest default the config leaves alone
    assert answer["response_type"] == "ephemeral"


def test_an_unknown_config_suggests_one(slash: Slash) -> None:
    answer = slash("config qsiprep-64").answer()
    assert "No config named `qsiprep-64`" in answer["text"]
    assert "qsiprep-64dir" in rendered(answer)


@pytest.mark.parametrize("user_id", ["U0OUTSIDER", "U0VIEWER", "U0ALICE", "U0OPS"])
def test_any_flywheel_user_may_read_configs_and_it_writes_nothing(
    slash: Slash, sqlite_store: Store, demo_localfw: LocalFlywheel, user_id: str
) -> None:
    demo_localfw.requests.reset()

    answer = slash("config fmriprep-hpc", user_id=user_id).answer()

    assert "fmriprep-hpc" in answer["text"] and "valid" in answer["text"]
    [event] = sqlite_store.audit.recent(10)
    assert (event.action, event.outcome) == ("config.show", "allowed")
    assert demo_localfw.requests.writes() == []


def test_the_demo_finds_the_example_configs_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert demo_configs_dir() == EXAMPLE_CONFIGS
    assert ConfigLibrary(demo_configs_dir()).get("qsiprep-hpc").gear == "qsiprep-hpc"

    (tmp_path / "configs").mkdir()
    assert demo_configs_dir() == Path("configs")  # a lab's own ./configs wins
