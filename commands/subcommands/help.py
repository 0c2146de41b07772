"""`/fw help [COMMAND]`: the overview, or one command's page."""

from __future__ import annotations

from commands.context import CommandContext
from commands.grammar import ArgSpec, CommandSpec, Invocation
from commands.render import help as render
from commands.reply import Reply

SPEC = CommandSpec(
    name="help",
    aliases=("?",),
    summary="What each /fw command does",
    usage="/fw help [COMMAND]",
    help=(
        "Without a command, lists the commands you may run. With one, shows its usage, options and "
        "examples; `/fw COMMAND help` and `/fw COMMAND --help` do the same."
    ),
    args=(ArgSpec("command", "COMMAND", "a command name, such as `gears`", variadic=True),),
    examples=("/fw help", "/fw help gear", "/fw gear --help"),
)


def run(inv: Invocation, ctx: CommandContext) -> Reply:
    topic = inv.arg("command")
    if topic is None:
        held = ctx.services.access.capabilities(ctx.actor)
        return render.overview([spec for spec in inv.grammar.specs if spec.access in held])
    return render.command_help(inv.grammar.command_named(topic))
