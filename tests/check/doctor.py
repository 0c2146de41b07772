"""`fwbot check` run for real: ``bot.cli.main(["check", ...])`` in-process with its
settings only in ``FWBOT_*`` variables (none inherited, no ``.env``: the working
directory is a fresh one), against the mock Slack, the local Flywheel (``FWBOT``, a
plain user, project admin on gear_testing (the shared-key set-up) and no role on
other_project), a SQLite database migrated by ``Store.migrate()``, a policy file and a
saved config written per test.

``Doctor.run()`` returns the exit code, the printed text, and each line by its check's
name; it also asserts what must hold for every run: no traceback, no secret.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.store.db import Store
from doubles.mock_slack import MockSlack
from localfw.server import LocalFlywheel

BOT_TOKEN = "xoxb-check-bot-token-1234"
APP_TOKEN = "xapp-check-app-token-5678"
SIGNING_SECRET = "check-signing-secret-90ab"
LINK_KEY = "x7Jd0mXkq2b9Qw4Yr3nT1uV5zA8cE6fG0hK2lM4pS9o="  # a Fernet key (fwbot link-key)
OTHER_LINK_KEY = "Zq1W2e3R4t5Y6u7I8o9P0aSdFgHjKlZxCvBnM1q2W3e="
GOOD_POLICY = """\
bot_admins: [ops@example.org]
projects:
  gear_testing:
    gears: [qsiprep-hpc]
"""
GOOD_CONFIG = """\
gear: qsiprep-hpc
version: 0.21.4
config:
  hmc_model: eddy
  output_resolution: 2.0
inputs:
  freesurfer_license: {project_file: license.txt}
"""
LINE = re.compile(r"^(?:✔|✘|!|-) (?P<name>[\w-]+): ")


@dataclass
class Outcome:
    code: int
    out: str
    lines: dict[str, str] = field(default_factory=dict)

    def line(self, name: str) -> str:
        return self.lines[name]


@dataclass(frozen=True)
class Printed:
    exit: int
    out: str
    err: str


@dataclass
class Doctor:
    """One deployment under check: its directory, settings, Slack and Flywheel."""

    tmp: Path
    mock: MockSlack
    localfw: LocalFlywheel
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.tmp / "data"

    @property
    def configs_dir(self) -> Path:
        return self.tmp / "configs"

    @property
    def policy_file(self) -> Path:
        return self.tmp / "policy.yml"

    def write_config(self, name: str, text: str) -> Path:
        path = self.configs_dir / name
        path.write_text(text, encoding="utf-8")
        return path

    def write_policy(self, text: str) -> None:
        self.policy_file.write_text(text, encoding="utf-8")

    def migrate(self, revision: str = "head") -> None:
        store = Store.for_data_dir(self.data_dir)
        store.migrate(revision)
        store.dispose()

    def grant(self, project_label: str, user: str, role: str) -> None:
        world = self.localfw.world
        [project] = [p for p in world.projects.values() if p["label"] == project_label]
        with world.lock:
            world.grant(project, user, role)

    def run_command(self, *argv: str) -> Printed:
        """Another `fwbot` command (``migrate``) with the same settings."""
        self._use_env()
        code = main(list(argv))
        captured = self.capsys.readouterr()
        return Printed(code, captured.out, captured.err)

    def _use_env(self) -> None:
        for name in [k for k in os.environ if k.startswith("FWBOT_") or k == "DATABASE_URL"]:
            self.monkeypatch.delenv(name)
        for name, value in self.env.items():
            self.monkeypatch.setenv(name, value)
        self.capsys.readouterr()

    def run(self, *args: str) -> Outcome:
        self._use_env()
        code = main(["check", *args])
        captured = self.capsys.readouterr()
        out = captured.out + captured.err
        assert "Traceback" not in out
        keys = self.env.get("FWBOT_LINK_ENCRYPTION_KEYS", "").split(",")
        for secret in (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, self.localfw.api_key, *keys):
            if len(secret.strip()) < 6:
                continue
            assert secret not in out
        lines = {}
        for text in captured.out.splitlines():
            found = LINE.match(text)
            if found:
                lines[found.group("name")] = text
        return Outcome(code, captured.out, lines)


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def statuses(outcome: Outcome) -> dict[str, str]:
    marks = {"✔": "pass", "✘": "fail", "!": "warn", "-": "skip"}
    return {name: marks[line[0]] for name, line in outcome.lines.items()}


def as_dict(value: Any) -> dict[str, Any]:
    assert isinstance(value, dict)
    return value
