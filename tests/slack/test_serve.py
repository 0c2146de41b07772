"""`fwbot serve` with missing settings: exit 2 and one line naming each env var."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.cli import main


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("FWBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_socket_mode_without_tokens_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve"]) == 2

    err = capsys.readouterr().err
    assert "missing FWBOT_SLACK_BOT_TOKEN, FWBOT_SLACK_APP_TOKEN" in err
    assert "Traceback" not in err


def test_http_mode_without_secret_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FWBOT_SLACK_BOT_TOKEN", "xoxb-1")

    assert main(["serve", "--http", "3000"]) == 2

    assert "missing FWBOT_SLACK_SIGNING_SECRET" in capsys.readouterr().err
