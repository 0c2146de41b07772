"""`dispatch(text, ctx)`: the single entry point adapters call with the text after `/fw`.

It parses, routes to the subcommand, and turns any ``FwbotError`` into a short
ephemeral reply. Other exceptions propagate on purpose: the adapters own the
"something went wrong (ref XXXX)" path and the logging that goes with it.
"""

from __future__ import annotations

import re

from bot.errors import FwbotError
from commands.context import CommandContext
from commands.grammar import CommandUsageError, Invocation
from commands.registry import REGISTRY, Registry
from commands.render.errors import error_reply
from commands.render.help import command_help
from commands.reply import Reply

PREFIX = re.compile(r"^\s*/fw(?=\s|$)", re.IGNORECASE)


def dispatch(text: str, ctx: CommandContext, *, registry: Registry = REGISTRY) -> Reply:
    """Answer one /fw request; ``text`` may start with ``/fw`` (the console sends it)."""
    inv: Invocation | None = None
    try:
        inv = registry.grammar.parse(PREFIX.sub("", text, count=1))
        if inv.wants_help:
            return command_help(inv.spec)
        with ctx.services.linking.speaking_as(ctx.actor):  # the person's own key, if linked
            return registry.handler(inv.spec)(inv, ctx)
    except FwbotError as err:
        return error_reply(err, _command_of(err, inv))


def _command_of(err: FwbotError, inv: Invocation | None) -> str | None:
    """Which command's help the error should point to (None: the overview)."""
    if isinstance(err, CommandUsageError):
        return err.command
    if inv is not None and inv.spec.name != "help":
        return inv.command
    return None
