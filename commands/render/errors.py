"""How a FwbotError looks: short, ephemeral, with what to type next, never a traceback."""

from __future__ import annotations

from dataclasses import replace

from bot.errors import FwbotError, NotFound, UsageError
from commands.render.blocks import context, escape, section
from commands.render.message import reply
from commands.reply import Reply

ERROR = ":warning: {message}"
POINTER_COMMAND = "Type `/fw {command} help` for its usage."
POINTER_OVERVIEW = "Type `/fw help` for the list of commands."


def pointer(command: str | None) -> str:
    return POINTER_COMMAND.format(command=command) if command else POINTER_OVERVIEW


def error_reply(err: FwbotError, command: str | None) -> Reply:
    """``command`` (if known) is where the "Type `/fw … help`" pointer leads; only mistakes
    in what was typed get one (a refusal or an outage is not fixed by reading the usage)."""
    body = ERROR.format(message=escape(err.message))
    if err.hint:
        body += "\n" + escape(err.hint)
    lines = [err.message, *([err.hint] if err.hint else [])]
    blocks = [section(body)]
    if isinstance(err, UsageError | NotFound):
        lines.append(pointer(command))
        blocks.append(context(pointer(command)))
    answer = reply("\n".join(lines), blocks, "\n".join(lines), error=True)
    return replace(answer, cause=type(err))
