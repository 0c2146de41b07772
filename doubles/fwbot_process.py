"""A real `fwbot serve --http` process (or, with ``socket_mode``, `fwbot serve` in Socket
Mode), spoken to the way Slack speaks to it.

The process runs fwbot's own entry point (what the ``fwbot`` script runs), configured
only through ``FWBOT_*`` variables (none inherited from the caller, no ``.env``: its
working directory is a fresh one), with its log in a file. Commands are slash commands
signed with the signing secret (``doubles.signing``), answered on the mock Slack's
response URLs (``doubles.mock_slack``). Shared by tests and benchmarks.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from cryptography.fernet import Fernet

from bench.polling import PATIENCE, eventually
from commands.buttons import ButtonValue
from doubles.mock_slack import MockSlack
from doubles.signing import HttpResult, post_form, slash_command_form

REPO = Path(__file__).resolve().parent.parent
ENTRY = "import sys; from bot.cli import main; sys.exit(main())"  # the `fwbot` script
LISTENING = re.compile(r"HTTP mode on http://[^:]+:(\d+)/")
HEALTH_LISTENING = re.compile(r"health and metrics on http://[^:]+:(\d+) ")  # Socket Mode
SIGNING_SECRET = "fwbot-process-signing-secret"
BOT_TOKEN = "xoxb-fwbot-process"
APP_TOKEN = "xapp-fwbot-process"
T = TypeVar("T")


def fwbot_env(
    mock: MockSlack,
    *,
    flywheel_api_key: str,
    data_dir: Path,
    configs_dir: Path = REPO / "configs",
    policy_file: Path | None = None,
    **settings: str,
) -> dict[str, str]:
    """The environment of a fwbot process: the caller's, minus every ``FWBOT_*`` and
    ``FLYWHEEL_SDK_*`` variable (a test suite's SDK retry settings included), plus these.
    ``settings`` are more ``FWBOT_*`` values, by field name (``watch_interval="5"``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FWBOT_", "FLYWHEEL_SDK_"))}
    env.update(
        {
            "FWBOT_SLACK_BOT_TOKEN": BOT_TOKEN,
            "FWBOT_SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "FWBOT_SLACK_APP_TOKEN": APP_TOKEN,  # Socket Mode's
            "FWBOT_HEALTH_PORT": "0",  # Socket Mode's health server: a free port
            "FWBOT_SLACK_API_URL": mock.api_url,
            "FWBOT_FLYWHEEL_API_KEY": flywheel_api_key,
            "FWBOT_DATA_DIR": str(data_dir),
            "FWBOT_CONFIGS_DIR": str(configs_dir),
            "FWBOT_LOG_LEVEL": "INFO",
            "FWBOT_LINK_ENCRYPTION_KEYS": Fernet.generate_key().decode("ascii"),
            "FWBOT_LOG_FORMAT": "console",  # readable in a failing test's output; json by choice
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
            ),
        }
    )
    if policy_file is not None:
        env["FWBOT_POLICY_FILE"] = str(policy_file)
    env.update({f"FWBOT_{name.upper()}": value for name, value in settings.items()})
    return env


@dataclass(frozen=True)
class Command:
    """One posted slash command: its ack and the response_url token of its answers."""

    http: HttpResult
    token: str


class FwbotProcess:
    """``fwbot serve --http 0`` in a process of its own; ``start()``, then post commands.
    With ``socket_mode``, ``fwbot serve`` connects to the mock Slack's WebSocket instead,
    and ``port`` is its health server's (``/healthz``, ``/readyz``, ``/metrics``)."""

    _tokens = itertools.count(1)

    def __init__(
        self,
        env: dict[str, str],
        workdir: Path,
        mock: MockSlack,
        name: str = "fwbot",
        *,
        socket_mode: bool = False,
        flywheel: Any = None,
    ):
        """``flywheel``: a local Flywheel whose users the mock Slack's people are; each
        is linked (``doubles.linked_users``) before the process starts."""
        self.env = env
        self.flywheel = flywheel
        self.socket_mode = socket_mode
        self.workdir = workdir
        self.mock = mock
        self.log_path = workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------
    def start(self) -> FwbotProcess:
        """Spawn the process and wait until it listens (not until it is ready)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.flywheel is not None:
            from doubles.linked_users import link_workspace

            users = {u.user_id: u.email for u in self.mock.users.values() if u.email}
            link_workspace(self.env, self.flywheel, users)
        mode = [] if self.socket_mode else ["--http", "0"]
        listening = HEALTH_LISTENING if self.socket_mode else LISTENING
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", ENTRY, "serve", *mode, "--host", "127.0.0.1"],
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

        def port() -> int | None:
            match = listening.search(self.log())
            if match:
                return int(match.group(1))
            self._still_alive("fwbot serve never listened")
            return None

        self.port = self._waiting(port, "fwbot serve to listen")
        return self

    def _still_alive(self, why: str) -> None:
        """Raise ``why`` with the log's tail if the process has ended."""
        if not self.alive():
            raise RuntimeError(f"{why}:\n{self.log()[-3000:]}")

    def _waiting(self, probe: Callable[[], T | None], what: str, timeout: float | None = None) -> T:
        """``bench.polling.eventually``, the log's tail in the failure."""
        try:
            return eventually(probe, what, timeout=timeout)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.log()[-3000:]}") from None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """``kill -9``: no clean-up of any kind (leases stay held, writes stay unwritten)."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (docker stop), then SIGKILL if it does not end in ``timeout`` seconds."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- HTTP ------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> tuple[int, str]:
        """``GET path``: (status, body); (0, reason) when nothing answers."""
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=PATIENCE) as resp:
                return int(resp.status), resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()
        except OSError as err:
            return 0, str(err)

    def wait_ready(self, timeout: float | None = None) -> None:
        """Until ``GET /readyz`` answers 200 (``timeout`` only ever lengthens the wait past
        ``PATIENCE``); raises with the log if the process ends first."""

        def ready() -> bool:
            if self.get("/readyz")[0] == 200:
                return True
            self._still_alive("fwbot never became ready")
            return False

        self._waiting(ready, "fwbot to be ready (/readyz 200)", timeout)

    def post(self, text: str, user_id: str, channel_id: str = "C0LAB") -> Command:
        """``/fw text`` from ``user_id``, signed as Slack signs it."""
        token = f"p{os.getpid()}-{next(self._tokens)}"
        form = slash_command_form(
            text,
            response_url=self.mock.response_url(token),
            user_id=user_id,
            channel_id=channel_id,
        )
        return Command(post_form(self.base_url + "/slack/events", form, SIGNING_SECRET), token)

    def answer(self, command: Command) -> dict[str, Any]:
        """The first answer posted to the command's response_url (waits for it)."""
        posts = self._waiting(
            lambda: self.mock.responses(command.token), f"the answer to {command.token}"
        )
        return posts[0].body

    def ask(self, text: str, user_id: str) -> dict[str, Any]:
        """Post a command, check its ack and return its first answer."""
        command = self.post(text, user_id)
        if command.http.status != 200:
            raise RuntimeError(f"/fw {text}: HTTP {command.http.status} {command.http.body!r}")
        return self.answer(command)


def button_batches(answer: dict[str, Any]) -> dict[str, str]:
    """action_id -> the batch id, for every button of an answer."""
    return {
        element["action_id"]: ButtonValue.model_validate_json(element["value"]).batch
        for block in answer.get("blocks") or []
        if block.get("type") == "actions"
        for element in block.get("elements") or []
        if "action_id" in element
    }


def answer_text(answer: dict[str, Any]) -> str:
    """All the text of an answer: its ``text`` and every block's."""
    parts = [str(answer.get("text") or "")]
    for block in answer.get("blocks") or []:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(str(text.get("text") or ""))
        for element in block.get("elements") or []:
            if isinstance(element, dict) and isinstance(element.get("text"), str):
                parts.append(element["text"])
    return "\n".join(p for p in parts if p)
