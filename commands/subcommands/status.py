"""`/fw status [BATCH | mine | project=P [gear=G] [version=V] [csv]]`: from a phone, how a
batch is doing, your recent batches, or a project's latest good run per session."""

from __future__ import annotations

from bot.service.use_cases import UseCase
from commands.context import CommandContext
from commands.grammar import CommandSpec, CommandUsageError, FlagSpec, Invocation, OptionSpec
from commands.render import batch as render
from commands.render import status as render_status
from commands.reply import Reply
from commands.subcommands.batch_actions import LATEST_ARG

USAGE = "/fw status [BATCH | mine | project=P [gear=G] [version=V] [csv]]"

SPEC = CommandSpec(
    name="status",
    summary="A batch's progress, your batches, or a project's latest good runs",
    usage=USAGE,
    help=(
        "With a batch id (or none: your latest batch), its counts from Flywheel right now, "
        "with a progress bar. `mine`: your recent batches, one line each. `project=P gear=G`: "
        "per session, the latest complete run of the gear with its expected outputs (the "
        "saved config's `expect_outputs`, else `*.html.zip`), counting runs made outside "
        "fwbot too: how many sessions have a good run, only failed or cancelled runs, or "
        "none; `csv` sends you every session's line as a file. `project=P` alone: one line "
        "per gear. Needs read access to the project."
    ),
    args=(LATEST_ARG,),
    options=(
        OptionSpec("project", "P", "a Flywheel project label"),
        OptionSpec("gear", "G", "a gear's name: its latest good run per session"),
        OptionSpec("version", "V", "count only runs of this gear version"),
    ),
    flags=(
        FlagSpec("mine", "your recent batches, one line each"),
        FlagSpec("csv", "every session's latest run, sent to you as a CSV file"),
    ),
    examples=(
        "/fw status b7k2q",
        "/fw status",
        "/fw status mine",
        "/fw status project=gear_testing gear=qsiprep-hpc",
        "/fw status project=gear_testing gear=qsiprep-hpc csv",
        "/fw status project=gear_testing",
    ),
    use_cases=(UseCase.STATUS_SHOW, UseCase.STATUS_PROJECT, UseCase.BATCHES_LIST),
)


def run(inv: Invocation, ctx: CommandContext) -> Reply:
    project, gear, version = inv.option("project"), inv.option("gear"), inv.option("version")
    batch_id = inv.arg("batch")
    if "mine" in inv.flags:
        if batch_id or project or gear or version or "csv" in inv.flags:
            raise _usage("`mine` lists your batches; it takes nothing else.")
        return render_status.batch_list(ctx.services.project_status.batches(ctx.actor, mine=True))
    if project is not None:
        if batch_id:
            raise _usage("Give a batch id or `project=`, not both.")
        if gear is None:
            if version or "csv" in inv.flags:
                raise _usage("`version=` and `csv` need `gear=`.")
            return render_status.overview(ctx.services.project_status.overview(ctx.actor, project))
        status = ctx.services.project_status.gear_status(ctx.actor, project, gear, version)
        return render_status.gear_status(status, with_csv="csv" in inv.flags)
    if gear or version or "csv" in inv.flags:
        raise _usage("`gear=`, `version=` and `csv` need `project=`.")
    launches = ctx.services.launches
    wanted = batch_id or launches.latest(ctx.actor).id
    view = launches.status(ctx.actor, wanted.strip().lower())
    return render.progress(view)


def _usage(message: str) -> CommandUsageError:
    return CommandUsageError(message, hint=f"Usage: `{USAGE}`", command="status")
