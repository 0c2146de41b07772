"""`/fw launch GEAR project=P [config=C] [sessions=S] [size=S] [label=L] [rerun] [dry-run]`."""

from __future__ import annotations

from bot.domain import BatchState
from bot.service.configs.model import SIZE_TAGS
from bot.service.launch.plan_model import LaunchRequest
from bot.service.use_cases import UseCase
from commands.context import CommandContext
from commands.grammar import ArgSpec, CommandSpec, FlagSpec, Invocation, OptionSpec
from commands.render import batch as render
from commands.reply import Reply

SPEC = CommandSpec(
    name="launch",
    summary="Plan a batch of one gear over a project's sessions, then launch it",
    usage="/fw launch GEAR project=P [config=C] [sessions=S] [rerun] [dry-run]",
    help=(
        "Shows the plan first: sessions matched, skipped because a run of the same gear, "
        "version and config exists, and estimated VM-hours. Then asks you to confirm "
        "(or a project admin to approve, for large or costly batches). Without `config=`, "
        "the saved config named after the gear is used, else the gear's defaults. "
        "`label=L` names the analyses instead of the config's label template. `rerun` "
        "launches again where a run of the same work exists (fwbot never does on its own)."
    ),
    args=(ArgSpec("gear", "GEAR", "the gear's name, as `/fw gears` shows it", required=True),),
    options=(
        OptionSpec("project", "P", "the Flywheel project label", required=True),
        OptionSpec("config", "C", "a saved config (`/fw configs`)"),
        OptionSpec(
            "sessions", "S", "sessions with an acquisition whose label contains S, or `all`"
        ),
        OptionSpec("size", "S", "VM size", choices=tuple(SIZE_TAGS)),
        OptionSpec("label", "L", "the analysis label instead of the config's template"),
    ),
    flags=(
        FlagSpec("dry-run", "show the plan and launch nothing"),
        FlagSpec("rerun", "launch again where a run of the same gear, version and config exists"),
    ),
    examples=(
        "/fw launch qsiprep-hpc project=gear_testing dry-run",
        "/fw launch qsiprep-hpc project=gear_testing config=qsiprep-64dir",
        "/fw launch fmriprep-hpc project=gear_testing sessions=task-rest size=large",
    ),
    use_cases=(UseCase.LAUNCH_PREVIEW, UseCase.LAUNCH_REQUEST),
)


def run(inv: Invocation, ctx: CommandContext) -> Reply:
    gear = inv.arg("gear")
    project = inv.option("project")
    assert gear is not None and project is not None  # required by SPEC
    request = LaunchRequest(
        gear=gear,
        project=project,
        config_name=inv.option("config"),
        sessions=inv.option("sessions"),
        size=inv.option("size"),
        label=inv.option("label"),
        dry_run="dry-run" in inv.flags,
        rerun="rerun" in inv.flags,
    )
    launches = ctx.services.launches
    if request.dry_run:
        return render.preview(launches.preview(ctx.actor, request))
    ticket = launches.request(ctx.actor, request)
    if ticket.batch.state is BatchState.AWAITING_APPROVAL:
        return render.ask_for_approval(ticket.plan, ticket.batch, ticket.same_launch)
    if ticket.batch.state is BatchState.PLANNED:
        return render.ask_to_confirm(ticket.plan, ticket.batch, ticket.same_launch)
    return render.already_recorded(ticket.batch)
