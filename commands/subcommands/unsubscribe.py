"""`/fw unsubscribe project=P [gear=G]`: this channel stops following a project."""

from __future__ import annotations

from bot.service.use_cases import UseCase
from commands.context import CommandContext
from commands.grammar import CommandSpec, Invocation, OptionSpec
from commands.render import subscriptions as render
from commands.reply import Reply

SPEC = CommandSpec(
    name="unsubscribe",
    summary="Stop this channel's subscription to a project",
    usage="/fw unsubscribe project=PROJECT [gear=GEAR]",
    help=(
        "Ends the subscription `/fw subscribe` made in this channel: no more posts or "
        "digests. Give the same `gear=` as when subscribing (none for every gear). You need "
        "read access to the project."
    ),
    options=(
        OptionSpec("project", "PROJECT", "a Flywheel project label", required=True),
        OptionSpec("gear", "GEAR", "the gear the subscription is for (default: every gear)"),
    ),
    examples=(
        "/fw unsubscribe project=gear_testing",
        "/fw unsubscribe project=gear_testing gear=qsiprep-hpc",
    ),
    use_cases=(UseCase.UNSUBSCRIBE,),
)


def run(inv: Invocation, ctx: CommandContext) -> Reply:
    project = inv.option("project")
    assert project is not None  # required by SPEC
    gear = inv.option("gear")
    label = ctx.services.subscriptions.unsubscribe(ctx.actor, project, gear=gear)
    return render.unsubscribed(label, gear)
