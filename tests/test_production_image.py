"""The production image leaves the local Flywheel out: nothing but the demo wiring needs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

WITHOUT_LOCALFW = """
import sys
sys.modules["localfw"] = None  # as if absent, like in the image (the Dockerfile omits it)
import bot.cli, bot.bootstrap, bot.slack.serve, bot.slack.app, bot.scheduler, bot.console
from bot.bootstrap import build_runtime
from bot.errors import FwbotError
from bot.settings import Settings
try:
    build_runtime(Settings(_env_file=None, data_dir=sys.argv[1]), demo=True)
except FwbotError as err:
    print("REFUSED:", err.user_text())
"""


def test_the_bot_imports_and_explains_itself_without_the_local_flywheel(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_LOCALFW, str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert "REFUSED: The demo Flywheel is not installed here" in done.stdout
    assert "FWBOT_FLYWHEEL_API_KEY" in done.stdout


def test_the_image_copies_the_bot_but_not_the_local_flywheel() -> None:
    copied = [
        line.split()[1]
        for line in (REPO / "Dockerfile").read_text().splitlines()
        if line.startswith("COPY ") and "--from" not in line
    ]
    assert "bot" in copied and "commands" in copied
    assert not any(c.startswith("localfw") or c == "." for c in copied)


def test_nothing_in_bot_imports_localfw_but_the_demo_wiring() -> None:
    allowed = {REPO / "bot" / "bootstrap.py", REPO / "bot" / "cli.py"}
    importers = {
        path
        for path in (REPO / "bot").rglob("*.py")
        if any(
            line.strip().startswith(("import localfw", "from localfw"))
            for line in path.read_text().splitlines()
        )
    }
    assert importers <= allowed
