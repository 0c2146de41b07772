"""The /fw commands in a terminal: for the demo, for admins, and for piping scripts.

Reads one command per line. At a terminal it shows a prompt; from a pipe it
just answers each line, so ``printf '/fw gears\\n' | fwbot demo`` works.
"""

from __future__ import annotations

import getpass
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.domain import Actor
from bot.domain.delivery import Channel, Delivery, Posted
from bot.errors import FwbotError
from bot.service import UseCases
from bot.service.launch.progress import BatchView, StuckReport
from commands.context import CommandContext
from commands.dispatch import dispatch
from commands.render import accounts as render_accounts
from commands.render import batch as render_batch
from commands.render import summary as render_summary
from commands.render.message import with_note
from commands.reply import Reply

log = logging.getLogger(__name__)

PROMPT = "fw> "
EXIT_WORDS = frozenset({"exit", "quit", ":q", "/exit", "/quit"})
LINK_WORD = "link"
WAIT_WORD = "wait"  # console only: `wait 30` lets a script watch progress lines arrive
MAX_WAIT = 600


class ConsoleNotifier:
    """Batch messages as lines in the terminal: a new line each time the progress changes,
    and the completion summary and stuck-jobs alerts as they fire. The CSV of a summary's
    failed sessions is written under ``exports_dir`` (none: not written, and it says so)."""

    def __init__(self, out: TextIO, exports_dir: Path | None = None) -> None:
        self._out = out
        self._exports_dir = exports_dir
        self._lock = threading.Lock()
        self._count = 0

    def post(self, channel: Channel, view: BatchView) -> Delivery:
        self._write(render_batch.progress(view).console_text())
        return self._posted()

    def update(self, channel: Channel, ts: str, view: BatchView) -> bool:
        self._write(f"[{view.batch.id}] {render_batch.progress_line(view)}")
        return True

    def post_failures(self, channel: Channel, thread: str | None, view: BatchView) -> None:
        self._write(render_batch.failures(view).console_text())

    def post_summary(self, channel: Channel, thread: str | None, view: BatchView) -> Delivery:
        self._write(f"[{view.batch.id}] finished\n{render_summary.summary(view).console_text()}")
        return self._posted("summary")

    def share_failures(self, channel: Channel, thread: str | None, view: BatchView) -> bool:
        if not render_summary.needs_csv(view):
            return True
        name, content = render_summary.failures_csv(view)
        if self._exports_dir is None:
            self._write(f"[{view.batch.id}] {name} not written: this console has no data dir.")
            return True
        self._exports_dir.mkdir(parents=True, exist_ok=True)
        path = self._exports_dir / name
        path.write_bytes(content)
        self._write(f"[{view.batch.id}] every failed session: {path}")
        return True

    def post_stuck(
        self, channel: Channel, thread: str | None, view: BatchView, report: StuckReport
    ) -> Delivery:
        self._write(render_summary.stuck_alert(view, report).console_text())
        return self._posted("stuck")

    def _posted(self, kind: str = "") -> Posted:
        """The terminal has no message ids: one made up per post (``console-3``,
        ``console-4-summary``), so the reporter records the post as made, updates the
        progress line in place of a message and never prints a summary twice."""
        with self._lock:
            self._count += 1
            return Posted(f"console-{self._count}" + (f"-{kind}" if kind else ""))

    def _write(self, text: str) -> None:
        with self._lock:
            self._out.write(text.rstrip() + "\n")
            self._out.flush()


def answer(
    line: str, actor: Actor, services: UseCases, exports_dir: Path | None = None
) -> str:
    """One command in, the terminal rendering out; never a traceback. A reply's files (a
    CSV) are written under ``exports_dir`` and the answer ends with where."""
    try:
        reply = dispatch(line, CommandContext(actor=actor, services=services))
        if reply.files:
            reply = write_files(reply, exports_dir)
        return reply.console_text()
    except Exception:
        ref = uuid.uuid4().hex[:6]
        log.exception("console command failed (ref %s): %r", ref, line[:200])
        return f"Something went wrong on our side (ref {ref}). The details are in the log."


def write_files(reply: Reply, exports_dir: Path | None) -> Reply:
    """Write the reply's files under ``exports_dir`` (a file of the same name is kept:
    the new one gets a numbered name) and say where."""
    if exports_dir is None:
        names = ", ".join(f.name for f in reply.files)
        return with_note(reply, f"{names} not written: this console has no data directory.")
    exports_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for file in reply.files:
        path = _free_path(exports_dir, file.name)
        path.write_bytes(file.content)
        written.append(str(path))
    return with_note(reply, "Written to " + ", ".join(written))


def _free_path(directory: Path, name: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name) or "export"
    path = directory / safe
    stem, suffix = path.stem, path.suffix
    number = 1
    while path.exists():
        number += 1
        path = directory / f"{stem}-{number}{suffix}"
    return path


FindByEmail = Callable[[str], Actor]
"""Who the console acts as, by email (``--as EMAIL``): the composition root's lookup
(``IdentityService.for_email``), never one of the use cases commands get."""


def run_console(
    services: UseCases,
    actor: Actor,
    stdin: TextIO,
    stdout: TextIO,
    *,
    interactive: bool,
    find_by_email: FindByEmail,
    exports_dir: Path | None = None,
) -> int:
    """Answer commands until end of input or ``exit``; files go under ``exports_dir``;
    after ``link``, the console acts as ``find_by_email`` finds the person now."""
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
        if line.lower().removeprefix("/fw").strip() == LINK_WORD:
            actor, said = link_in_console(
                services, actor, stdin, stdout, interactive=interactive, find=find_by_email
            )
        else:
            said = answer(line, actor, services, exports_dir)
        stdout.write(said.rstrip() + "\n\n")
        stdout.flush()


def link_in_console(
    services: UseCases,
    actor: Actor,
    stdin: TextIO,
    stdout: TextIO,
    *,
    interactive: bool,
    find: FindByEmail,
) -> tuple[Actor, str]:
    """``link``: the key is asked for without echo (a terminal) or read from the next
    line (a pipe, never echoed into the transcript); returns who the console acts as now."""
    if interactive:
        key = getpass.getpass("Flywheel API key (not shown): ")
    else:
        key = stdin.readline().strip()
    try:
        user = services.linking.link(None, actor.email, key)
        now = find(actor.email)
    except FwbotError as err:
        return actor, err.user_text()
    return now, render_accounts.linked(user, services.linking.site).console_text()


def _wait(line: str, stdout: TextIO) -> None:
    words = line.split()
    seconds = float(words[1]) if len(words) > 1 and words[1].replace(".", "", 1).isdigit() else 5
    stdout.write(f"(waiting {min(seconds, MAX_WAIT):g} s)\n")
    stdout.flush()
    time.sleep(min(seconds, MAX_WAIT))
