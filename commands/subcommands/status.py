"""`/fw status BATCH`: one batch's progress, from a phone."""

from __future__ import annotations

from bot.service.use_cases import UseCase
from commands.context import CommandContext
from commands.grammar import CommandSpec, Invocation
from commands.render import batch as render
from commands.reply import Reply
from commands.subcommands.batch_actions import LATEST_ARG

SPEC = CommandSpec(
    name="status",
    summary="A batch's progress: complete, failed, running",
    usage="/fw status [BATCH]",
    help=(
        "Counts from Flywheel right now, with a progress bar (your latest batch if no id is "
        "given). Needs read access to the batch's project."
    ),
    args=(LATEST_ARG,),
    examples=("/fw status b7k2q", "/fw status"),
    use_cases=(UseCase.STATUS_SHOW,),
)


def run(inv: Invocation, ctx: CommandContext) -> Reply:
    launches = ctx.services.launches
    batch_id = inv.arg("batch") or launches.latest(ctx.actor).id
    view = launches.status(ctx.actor, batch_id.strip().lower())
    return render.progress(view)
