"""`/fw confirm BATCH`, `/fw approve BATCH`: what the Launch and Approve buttons run."""

from __future__ import annotations

from bot.domain import BatchState
from bot.service.use_cases import UseCase
from commands.context import CommandContext
from commands.grammar import ArgSpec, CommandSpec, Invocation
from commands.render import batch as render
from commands.reply import Reply

BATCH_ARG = ArgSpec("batch", "BATCH", "the batch id, such as `b7k2q`", required=True)
LATEST_ARG = ArgSpec("batch", "BATCH", "the batch id, such as `b7k2q`; default: your latest")

CONFIRM = CommandSpec(
    name="confirm",
    summary="Launch a batch you planned (the Launch button does this)",
    usage="/fw confirm [BATCH]",
    help=(
        "Launches the batch `/fw launch` recorded for you (your latest planned one if no id "
        "is given). Asking twice launches once."
    ),
    args=(LATEST_ARG,),
    examples=("/fw confirm b7k2q", "/fw confirm"),
    use_cases=(UseCase.LAUNCH_CONFIRM,),
)

APPROVE = CommandSpec(
    name="approve",
    summary="Approve someone's large or costly batch (project admins)",
    usage="/fw approve BATCH",
    help="A project admin other than the requester lets a batch over the lab's limits launch.",
    args=(BATCH_ARG,),
    examples=("/fw approve b7k2q",),
    use_cases=(UseCase.LAUNCH_APPROVE,),
)


def confirm(inv: Invocation, ctx: CommandContext) -> Reply:
    launches = ctx.services.launches
    wanted = inv.arg("batch")
    if wanted is None:
        wanted = launches.latest(ctx.actor, [BatchState.PLANNED]).id
    batch = launches.confirm(ctx.actor, wanted.strip().lower())
    return render.launching(batch)


def approve(inv: Invocation, ctx: CommandContext) -> Reply:
    batch = ctx.services.launches.approve(ctx.actor, _batch_id(inv))
    return render.launching(batch, approved=True)


def _batch_id(inv: Invocation) -> str:
    value = inv.arg("batch")
    assert value is not None  # required by the specs
    return value.strip().lower()
