"""The /fw commands in a terminal: for the demo, for admins, and for piping scripts.

Reads one command per line. At a terminal it shows a prompt; from a pipe it
just answers each line, so ``printf '/fw gears\\n' | fwbot demo`` works.
"""

from __future__ import annotations

import logging
import uuid
from typing import TextIO

from bot.domain import Actor
from bot.service import Services
from commands.context import CommandContext
from commands.dispatch import dispatch

log = logging.getLogger(__name__)

PROMPT = "fw> "
EXIT_WORDS = frozenset({"exit", "quit", ":q", "/exit", "/quit"})


def answer(line: str, actor: Actor, services: Services) -> str:
    """One command in, the terminal rendering out; never a traceback."""
    try:
        return dispatch(line, CommandContext(actor=actor, services=services)).console_text()
    except Exception:
        ref = uuid.uuid4().hex[:6]
        log.exception("console command failed (ref %s): %r", ref, line[:200])
        return f"Something went wrong on our side (ref {ref}). The details are in the log."


def run_console(
    services: Services,
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
        if not interactive:
            stdout.write(f"{PROMPT}{line}\n")  # echo, so piped output reads as a transcript
        stdout.write(answer(line, actor, services).rstrip() + "\n\n")
        stdout.flush()
