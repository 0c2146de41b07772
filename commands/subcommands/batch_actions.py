"""`/fw confirm BATCH`, `/fw approve BATCH`: what the Launch and Approve buttons run."""

from __future__ import annotations

from bot.domain import BatchState
from bot.service.launch.overlap import LaunchedSincePlan
from bot.service.use_cases import UseCase
from commands.context import CommandContext
from commands.grammar import ArgSpec, CommandSpec, FlagSpec, Invocation
from commands.render import batch as render
from commands.reply import Reply

BATCH_ARG = ArgSpec("batch", "BATCH", "the batch id, such as `b7k2q`", required=True)
LATEST_ARG = ArgSpec("batch", "BATCH", "the batch id, such as `b7k2q`; default: your latest")
OTHERS = FlagSpec(
    "others",
    "launch the sessions no other batch launched since the plan (fwbot asks when some did)",
)

CONFIRM = CommandSpec(
    name="confirm",
    summary="Launch a batch you planned (the Launch button does this)",
    usage="/fw confirm [BATCH]",
    help=(
        "Launches the batch `/fw launch` recorded for you (your latest planned one if no id "
        "is given). Asking twice launches once. If another batch launched some of its "
        "sessions since the plan, fwbot says so and asks; `others` launches the rest."
    ),
    args=(LATEST_ARG,),
    flags=(OTHERS,),
    examples=("/fw confirm b7k2q", "/fw confirm", "/fw confirm b7k2q others"),
    use_cases=(UseCase.LAUNCH_CONFIRM,),
)

APPROVE = CommandSpec(
    name="approve",
    summary="Approve someone's large or costly batch (project admins)",
    usage="/fw approve BATCH",
    help="A project admin other than the requester lets a batch over the lab's limits launch.",
    args=(BATCH_ARG,),
    flags=(OTHERS,),
    examples=("/fw approve b7k2q", "/fw approve b7k2q others"),
    use_cases=(UseCase.LAUNCH_APPROVE,),
)


def confirm(inv: Invocation, ctx: CommandContext) -> Reply:
    wanted = inv.arg("batch")
    if wanted is None:
        wanted = ctx.services.launches.latest(ctx.actor, [BatchState.PLANNED]).id
    return launch_plan(ctx, wanted.strip().lower(), others="others" in inv.flags)


def approve(inv: Invocation, ctx: CommandContext) -> Reply:
    return approve_plan(ctx, _batch_id(inv), others="others" in inv.flags)


def launch_plan(ctx: CommandContext, batch_id: str, *, others: bool = False) -> Reply:
    """The Launch click and `/fw confirm`: launching, or the question when other batches
    launched some of its sessions since the plan."""
    try:
        return render.launching(ctx.services.launches.confirm(ctx.actor, batch_id, others=others))
    except LaunchedSincePlan as refusal:
        return render.launched_since_plan(refusal)


def approve_plan(ctx: CommandContext, batch_id: str, *, others: bool = False) -> Reply:
    """The Approve click and `/fw approve`, asking likewise."""
    try:
        batch = ctx.services.launches.approve(ctx.actor, batch_id, others=others)
    except LaunchedSincePlan as refusal:
        return render.launched_since_plan(refusal, approving=True)
    return render.launching(batch, approved=True)


def _batch_id(inv: Invocation) -> str:
    value = inv.arg("batch")
    assert value is not None  # required by the specs
    return value.strip().lower()
