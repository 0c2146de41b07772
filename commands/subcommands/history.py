"""`/fw history [project=P]`: who launched, cancelled or was refused what."""

from __future__ import annotations

from bot.service.use_cases import UseCase
from commands.context import CommandContext
from commands.grammar import CommandSpec, CommandUsageError, Invocation, OptionSpec
from commands.render.history import history as render
from commands.reply import Reply

MAX_LIMIT = 50

SPEC = CommandSpec(
    name="history",
    summary="The audit trail: who did what, and what was refused",
    usage="/fw history [project=PROJECT] [limit=N]",
    help=(
        "With a project, its recent fwbot activity (you need read access to it). Without, "
        "your own activity; fwbot admins see everyone's. Routine reads are left out; "
        "refusals always show."
    ),
    options=(
        OptionSpec("project", "PROJECT", "a Flywheel project label"),
        OptionSpec("limit", "N", f"how many events, 1 to {MAX_LIMIT} (default 15)"),
    ),
    examples=("/fw history", "/fw history project=gear_testing", "/fw history limit=40"),
    use_cases=(UseCase.HISTORY_OWN, UseCase.HISTORY_PROJECT),
)


def run(inv: Invocation, ctx: CommandContext) -> Reply:
    limit = _limit(inv.option("limit"))
    result = ctx.services.history.recent(ctx.actor, inv.option("project"), limit)
    return render(result)


def _limit(raw: str | None) -> int:
    if raw is None:
        return 15
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise CommandUsageError(
            f"`limit={raw}` is not a number from 1 to {MAX_LIMIT}.",
            hint="For example: `/fw history limit=30`",
            command="history",
        )
    return int(raw)
