"""`/fw retry BATCH`: the batch's failed sessions (and those complete without their
expected outputs) as a new batch, planned and confirmed like a launch."""

from __future__ import annotations

from bot.service.use_cases import UseCase
from commands.context import CommandContext
from commands.grammar import CommandSpec, Invocation
from commands.render.retry import retry_plan
from commands.reply import Reply
from commands.subcommands.batch_actions import BATCH_ARG

SPEC = CommandSpec(
    name="retry",
    summary="Relaunch a batch's failed sessions as a new batch",
    usage="/fw retry BATCH",
    help=(
        "Plans a new batch of the sessions whose launch or job failed, and those that "
        "finished without their expected outputs, with the same gear version, config, "
        "inputs and VM size, labelled as before plus ` (retry N)`. Flywheel retries a job "
        "only once, so fwbot makes new analyses instead. You confirm it like a launch (a "
        "project admin approves a large one). Sessions run again since are skipped. Only "
        "the batch's launcher or a project admin, with launch access, can retry."
    ),
    args=(BATCH_ARG,),
    examples=("/fw retry b7k2q",),
    # both: it is the batch's launcher or a project admin (like cancel) who retries, and
    # the retry is a launch (read-write, like `/fw launch`)
    use_cases=(UseCase.RETRY_REQUEST, UseCase.LAUNCH_REQUEST),
)


def run(inv: Invocation, ctx: CommandContext) -> Reply:
    batch_id = inv.arg("batch")
    assert batch_id is not None  # required by SPEC
    return retry(batch_id, ctx)


def retry(batch_id: str, ctx: CommandContext) -> Reply:
    """What `/fw retry BATCH` runs (and a Retry button may call)."""
    return retry_plan(ctx.services.launches.retry(ctx.actor, batch_id.strip().lower()))
