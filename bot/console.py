"""The /fw commands in a terminal: for the demo, for admins, and for piping scripts.

Reads one command per line. At a terminal it shows a prompt; from a pipe it
just answers each line, so ``printf '/fw gears\\n' | fwbot demo`` works.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import TextIO

from bot.domain import Actor
from bot.service import UseCases
from bot.service.launch.progress import BatchView
from commands.context import CommandContext
from commands.dispatch import dispatch
from commands.render import batch as render_batch

log = logging.getLogger(__name__)

PROMPT = "fw> "
EXIT_WORDS = frozenset({"exit", "quit", ":q", "/exit", "/quit"})
WAIT_WORD = "wait"  # console only: `wait 30` lets a script watch progress lines arrive
MAX_WAIT = 600


class ConsoleNotifier:
    """Batch messages as lines in the terminal: a new line each time the progress changes."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._lock = threading.Lock()
        self._count = 0

    def post(self, channel: str, view: BatchView) -> str:
        self._write(render_batch.progress(view).console_text())
        with self._lock:
            self._count += 1
            return f"console-{self._count}"

    def update(self, channel: str, message_id: str, view: BatchView) -> bool:
        self._write(f"[{view.batch.id}] {render_batch.progress_line(view)}")
        return True

    def post_failures(self, channel: str, thread_id: str, view: BatchView) -> None:
        self._write(render_batch.failures(view).console_text())

    def _write(self, text: str) -> None:
        with self._lock:
            self._out.write(text.rstrip() + "\n")
            self._out.flush()


def answer(line: str, actor: Actor, services: UseCases) -> str:
    """One command in, the terminal rendering out; never a traceback."""
    try:
        return dispatch(line, CommandContext(actor=actor, services=services)).console_text()
    except Exception:
        ref = uuid.uuid4().hex[:6]
        log.exception("console command failed (ref %s): %r", ref, line[:200])
        return f"Something went wrong on our side (ref {ref}). The details are in the log."


def run_console(
    services: UseCases,
    actor: Actor,
    stdin: TextIO,
    stdout: TextIO,
    *,
    interactive: bool,
) -> int:
    """Answer commands until end of input or ``exit``."""
    while True:
        if interactive:
            stdout.write(PROMPT)
            stdout.flush()
        line = stdin.readline()
        if not line:
            if interactive:
                stdout.write("\n")
            return 0
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower() in EXIT_WORDS:
            return 0
        if line.split()[0].lower() == WAIT_WORD:
            _wait(line, stdout)
            continue
        if not interactive:
            stdout.write(f"{PROMPT}{line}\n")  # echo, so piped output reads as a transcript
        stdout.write(answer(line, actor, services).rstrip() + "\n\n")
        stdout.flush()


def _wait(line: str, stdout: TextIO) -> None:
    words = line.split()
    seconds = float(words[1]) if len(words) > 1 and words[1].replace(".", "", 1).isdigit() else 5
    stdout.write(f"(waiting {min(seconds, MAX_WAIT):g} s)\n")
    stdout.flush()
    time.sleep(min(seconds, MAX_WAIT))
