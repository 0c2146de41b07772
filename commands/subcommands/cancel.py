"""`/fw cancel [BATCH] [yes]`: drop a plan, stop a launch, or cancel a launched batch's
pending jobs.

A launched batch gets a preview first (how many pending jobs would be cancelled, how
many are running and will finish anyway) and a button; `yes` (or the button) cancels.
A batch still launching gets the same: the preview says how many sessions would not be
launched and how many jobs already made would be cancelled; `yes` stops the launch.
"""

from __future__ import annotations

from bot.domain import PLAN_STATES, UNDER_WAY_STATES
from bot.errors import UsageError
from bot.service.use_cases import UseCase
from commands.context import CommandContext
from commands.grammar import CommandSpec, FlagSpec, Invocation
from commands.render import batch as render
from commands.reply import Reply
from commands.subcommands.batch_actions import LATEST_ARG

# With no id: your latest batch that is not over (planned, awaiting approval, launching,
# launched), as `/fw status` takes your latest.
ACTIVE_STATES = sorted(PLAN_STATES | UNDER_WAY_STATES)

SPEC = CommandSpec(
    name="cancel",
    summary="Drop a plan, stop a launch, or cancel pending jobs",
    usage="/fw cancel [BATCH] [yes]",
    help=(
        "A batch not yet launched is dropped; nothing reaches Flywheel. For a launched "
        "batch, fwbot first shows how many pending jobs it would cancel (running jobs "
        "finish); add `yes` or click the button to cancel them. A batch still launching "
        "is stopped the same way: the sessions not launched yet never are, and the jobs "
        "already made are cancelled. Without an id, your latest batch that is not over "
        "(planned, awaiting approval, launching or launched). Only the launcher or a "
        "project admin can cancel."
    ),
    args=(LATEST_ARG,),
    flags=(FlagSpec("yes", "cancel the pending jobs without asking again"),),
    examples=("/fw cancel b7k2q", "/fw cancel b7k2q yes", "/fw cancel"),
    use_cases=(UseCase.LAUNCH_DROP, UseCase.CANCEL_PREVIEW, UseCase.CANCEL_JOBS),
)


def run(inv: Invocation, ctx: CommandContext) -> Reply:
    batch_id = inv.arg("batch") or _latest_active(ctx)
    outcome = ctx.services.launches.cancel(
        ctx.actor, batch_id.strip().lower(), confirmed="yes" in inv.flags
    )
    return render.cancel_outcome(outcome, by=ctx.actor.email)


def _latest_active(ctx: CommandContext) -> str:
    try:
        return ctx.services.launches.latest(ctx.actor, ACTIVE_STATES).id
    except UsageError:
        raise UsageError(
            "You have no batch to cancel: none planned, waiting for approval, launching or "
            "launched.",
            hint="`/fw batches mine` lists yours; `/fw cancel BATCH` names one.",
        ) from None
