"""`/fw configs [gear=GEAR]`: the saved configs, one line each, broken ones flagged."""

from __future__ import annotations

from bot.service.use_cases import UseCase
from commands.context import CommandContext
from commands.grammar import CommandSpec, Invocation, OptionSpec
from commands.render.configs import config_list
from commands.reply import Reply

SPEC = CommandSpec(
    name="configs",
    summary="List the saved configs launches can use",
    usage="/fw configs [gear=GEAR]",
    help=(
        "Shows each saved config's name, gear and version pin (or latest), VM size and which "
        "sessions it selects. Configs that do not load, or no longer fit their gear's "
        "manifest, are flagged with the reason. A launch without `config=` uses the config "
        "named after the gear, else the gear's defaults."
    ),
    options=(OptionSpec("gear", "GEAR", "only the configs that run this gear"),),
    examples=("/fw configs", "/fw configs gear=qsiprep-hpc"),
    use_cases=(UseCase.CONFIGS_LIST,),
)


def run(inv: Invocation, ctx: CommandContext) -> Reply:
    gear = inv.option("gear")
    return config_list(ctx.services.configs.list_configs(ctx.actor, gear), gear)
