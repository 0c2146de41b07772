"""`/fw gear NAME [version=V]`: one gear in full."""

from __future__ import annotations

from bot.service.use_cases import UseCase
from commands.context import CommandContext
from commands.grammar import ArgSpec, CommandSpec, Invocation, OptionSpec
from commands.render.gears import gear_detail
from commands.reply import Reply

SPEC = CommandSpec(
    name="gear",
    summary="One gear in full: versions, inputs, config options",
    usage="/fw gear NAME [version=V]",
    help=(
        "Shows the gear's versions (newest first), its inputs and whether each is required, "
        "and every config option with its type, default and allowed values."
    ),
    args=(ArgSpec("name", "NAME", "the gear's name, as `/fw gears` shows it", required=True),),
    options=(OptionSpec("version", "V", "a version other than the newest"),),
    examples=("/fw gear qsiprep-hpc", "/fw gear fmriprep version=20.2.7"),
    use_cases=(UseCase.GEAR_SHOW,),
)


def run(inv: Invocation, ctx: CommandContext) -> Reply:
    name = inv.arg("name")
    assert name is not None  # required by SPEC
    return gear_detail(ctx.services.gears.gear_detail(ctx.actor, name, inv.option("version")))
