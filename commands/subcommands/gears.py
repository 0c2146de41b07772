"""`/fw gears [TEXT]`: the gear catalogue, optionally filtered."""

from __future__ import annotations

from bot.service.use_cases import UseCase
from commands.context import CommandContext
from commands.grammar import ArgSpec, CommandSpec, Invocation
from commands.render.gears import gear_list
from commands.reply import Reply

SPEC = CommandSpec(
    name="gears",
    summary="List the gears on this site",
    usage="/fw gears [TEXT]",
    help=(
        "Shows each gear's name, latest version, label and category. TEXT keeps the gears "
        "whose name, label or category contains it (case does not matter)."
    ),
    args=(ArgSpec("text", "TEXT", "words to look for in name, label or category", variadic=True),),
    examples=("/fw gears", "/fw gears qsiprep", '/fw gears "BIDS curation"'),
    use_cases=(UseCase.GEARS_LIST,),
)


def run(inv: Invocation, ctx: CommandContext) -> Reply:
    query = inv.arg("text")
    return gear_list(ctx.services.gears.list_gears(ctx.actor, query), query)
