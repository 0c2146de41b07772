"""`/fw cancel BATCH`: drop a batch that has not been launched (the Cancel / Reject button)."""

from __future__ import annotations

from bot.service.access import Access
from commands.context import CommandContext
from commands.grammar import CommandSpec, Invocation
from commands.render import batch as render
from commands.reply import Reply
from commands.subcommands.batch_actions import BATCH_ARG

SPEC = CommandSpec(
    name="cancel",
    summary="Drop a planned batch before it launches",
    usage="/fw cancel BATCH",
    help="Only the requester or a project admin can drop a batch; nothing reaches Flywheel.",
    args=(BATCH_ARG,),
    examples=("/fw cancel b7k2q",),
    access=Access.MANAGE,
)


def run(inv: Invocation, ctx: CommandContext) -> Reply:
    batch_id = inv.arg("batch")
    assert batch_id is not None  # required by SPEC
    batch = ctx.services.launches.cancel_plan(ctx.actor, batch_id.strip().lower())
    return render.dropped(batch, by=ctx.actor.email)
