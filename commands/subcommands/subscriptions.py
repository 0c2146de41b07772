"""`/fw subscriptions`: what this channel follows, paused ones marked."""

from __future__ import annotations

from bot.service.use_cases import UseCase
from commands.context import CommandContext
from commands.grammar import CommandSpec, Invocation
from commands.render import subscriptions as render
from commands.reply import Reply

SPEC = CommandSpec(
    name="subscriptions",
    summary="What this channel follows",
    usage="/fw subscriptions",
    help=(
        "This channel's subscriptions: project, gear, events, digest time, and whether "
        "they are paused (fwbot could not post here, e.g. it was removed from the channel; "
        "`/fw subscribe` again resumes). Subscriptions on projects you have no access to "
        "are counted, not shown."
    ),
    examples=("/fw subscriptions",),
    use_cases=(UseCase.SUBSCRIPTIONS_LIST,),
)


def run(inv: Invocation, ctx: CommandContext) -> Reply:
    return render.subscription_list(ctx.services.subscriptions.for_channel(ctx.actor))
