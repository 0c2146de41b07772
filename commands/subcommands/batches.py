"""`/fw batches [project=P] [mine] [limit=N]`: recent batches, one line each."""

from __future__ import annotations

from bot.service.project_status import BATCHES_SHOWN, MAX_BATCHES
from bot.service.use_cases import UseCase
from commands.context import CommandContext
from commands.grammar import CommandSpec, CommandUsageError, FlagSpec, Invocation, OptionSpec
from commands.render import status as render
from commands.reply import Reply

SPEC = CommandSpec(
    name="batches",
    summary="Recent batches, one line each: yours or a project's",
    usage="/fw batches [project=P] [mine] [limit=N]",
    help=(
        "Newest first: the batch id, gear, project, state, counts (as fwbot last saw them) "
        "and age. Without `project=`, the batches on every project you can read; `mine`, "
        "only yours. Batches on projects you have no role on are never listed."
    ),
    options=(
        OptionSpec("project", "P", "a Flywheel project label (you need read access)"),
        OptionSpec("limit", "N", f"how many, 1 to {MAX_BATCHES} (default {BATCHES_SHOWN})"),
    ),
    flags=(FlagSpec("mine", "only the batches you asked for"),),
    examples=("/fw batches", "/fw batches mine", "/fw batches project=gear_testing"),
    use_cases=(UseCase.BATCHES_LIST, UseCase.BATCHES_PROJECT),
)


def run(inv: Invocation, ctx: CommandContext) -> Reply:
    result = ctx.services.project_status.batches(
        ctx.actor,
        project_label=inv.option("project"),
        mine="mine" in inv.flags,
        limit=_limit(inv.option("limit")),
    )
    return render.batch_list(result)


def _limit(raw: str | None) -> int:
    if raw is None:
        return BATCHES_SHOWN
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_BATCHES:
        raise CommandUsageError(
            f"`limit={raw}` is not a number from 1 to {MAX_BATCHES}.",
            hint="For example: `/fw batches limit=30`",
            command="batches",
        )
    return int(raw)
