"""`/fw link`, `/fw unlink`, `/fw whoami`: each person acts on Flywheel as themselves.

`link` never takes the key as an argument (a command's text is logged and may be
repeated): the Slack adapter answers it with a private form, the console with a prompt
that does not echo. Reaching this handler means neither did, so it says how.
"""

from __future__ import annotations

from bot.service.use_cases import UseCase
from commands.context import CommandContext
from commands.grammar import CommandSpec, Invocation
from commands.render import accounts as render
from commands.reply import Reply

LINK = CommandSpec(
    name="link",
    summary="Link your own Flywheel account, so fwbot acts as you",
    usage="/fw link",
    help=(
        "Opens a private form where you paste your Flywheel API key (Flywheel: your "
        "profile, API Keys). fwbot checks it with Flywheel, stores it encrypted and never "
        "shows it; from then on what you do through fwbot talks to Flywheel as you: you see "
        "what Flywheel shows you, and the jobs you launch are yours. Never type the key "
        "after `/fw link`."
    ),
    examples=("/fw link",),
)

UNLINK = CommandSpec(
    name="unlink",
    summary="Forget your linked Flywheel key",
    usage="/fw unlink",
    help="Deletes the Flywheel key you linked. Batches you launched finish with fwbot's key.",
    examples=("/fw unlink",),
)

WHOAMI = CommandSpec(
    name="whoami",
    summary="Who fwbot takes you for, and your roles",
    usage="/fw whoami",
    help=(
        "Shows the Flywheel user fwbot acts as for you (linked with your own key, or matched "
        "by email) and your role on each project fwbot serves."
    ),
    examples=("/fw whoami",),
    use_cases=(UseCase.WHOAMI,),
)


def link(inv: Invocation, ctx: CommandContext) -> Reply:
    return render.use_the_form()


def unlink(inv: Invocation, ctx: CommandContext) -> Reply:
    removed = ctx.services.linking.unlink(ctx.actor)
    return render.unlinked(removed)


def whoami(inv: Invocation, ctx: CommandContext) -> Reply:
    return render.whoami(ctx.services.linking.whoami(ctx.actor))
