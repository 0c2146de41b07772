"""The ``doctor`` fixture: a good setup for `fwbot check` (tests/check/doctor.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from doubles.mock_slack import MockSlack
from localfw.server import LocalFlywheel
from tests.check.doctor import (
    APP_TOKEN,
    BOT_TOKEN,
    GOOD_CONFIG,
    GOOD_POLICY,
    LINK_KEY,
    Doctor,
)


@pytest.fixture
def doctor(
    tmp_path: Path,
    mock_slack: MockSlack,
    localfw: LocalFlywheel,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Doctor]:
    """A good setup: every check passes until a test breaks one thing."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # no .env of the checkout
    doc = Doctor(tmp_path, mock_slack, localfw, monkeypatch, capsys)
    doc.configs_dir.mkdir()
    doc.write_config("qsiprep-hpc.yml", GOOD_CONFIG)
    doc.write_policy(GOOD_POLICY)
    doc.migrate()
    doc.env = {
        "FWBOT_SLACK_BOT_TOKEN": BOT_TOKEN,
        "FWBOT_SLACK_APP_TOKEN": APP_TOKEN,
        "FWBOT_SLACK_API_URL": mock_slack.api_url,
        "FWBOT_FLYWHEEL_API_KEY": localfw.sdk_api_key,
        "FWBOT_DATA_DIR": str(doc.data_dir),
        "FWBOT_CONFIGS_DIR": str(doc.configs_dir),
        "FWBOT_POLICY_FILE": str(doc.policy_file),
        "FWBOT_LINK_ENCRYPTION_KEYS": LINK_KEY,
    }
    yield doc
