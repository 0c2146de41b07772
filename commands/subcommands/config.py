"""`/fw config NAME`: one saved config in full, checked against its gear's manifest."""

from __future__ import annotations

from bot.service.use_cases import UseCase
from commands.context import CommandContext
from commands.grammar import ArgSpec, CommandSpec, Invocation
from commands.render.configs import config_detail
from commands.reply import Reply

SPEC = CommandSpec(
    name="config",
    summary="One saved config in full, and what a launch with it would send",
    usage="/fw config NAME",
    help=(
        "Shows the config's gear and version, VM size, session rule, skip policy, label and "
        "inputs; the config values it sets next to the gear's defaults, and the defaults it "
        "leaves alone; and any problem against the gear's current manifest."
    ),
    args=(ArgSpec("name", "NAME", "the config's name, as `/fw configs` shows it", required=True),),
    examples=("/fw config qsiprep-hpc", "/fw config qsiprep-64dir"),
    use_cases=(UseCase.CONFIG_SHOW,),
)


def run(inv: Invocation, ctx: CommandContext) -> Reply:
    name = inv.arg("name")
    assert name is not None  # required by SPEC
    return config_detail(ctx.services.configs.show_config(ctx.actor, name))
