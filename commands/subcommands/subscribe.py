"""`/fw subscribe project=P [gear=G] [events=...] [at=HH:MM] [tz=Area/City]`: this channel
follows a project's batches (posts when they end or get stuck) and, with `digest`, gets
a daily digest."""

from __future__ import annotations

from bot.domain.subscriptions import DEFAULT_DIGEST_TIME, DEFAULT_EVENTS, DEFAULT_TIMEZONE, EVENTS
from bot.service.use_cases import UseCase
from commands.context import CommandContext
from commands.grammar import CommandSpec, Invocation, OptionSpec
from commands.render import subscriptions as render
from commands.reply import Reply

SPEC = CommandSpec(
    name="subscribe",
    summary="Follow a project's batches and daily digest in this channel",
    usage="/fw subscribe project=P [gear=G] [events=LIST] [at=HH:MM] [tz=ZONE]",
    help=(
        "This channel gets a short post when a batch on the project ends (`done`: no "
        "failure; `failed`: some) or has jobs stuck far longer than usual (`stuck`), and "
        f"with `digest` a daily digest at `at=` (default {DEFAULT_DIGEST_TIME}) in `tz=` "
        f"(default {DEFAULT_TIMEZONE}): per "
        "gear, runs launched, complete, failed and still pending, with the failures as a "
        "CSV. Batches launched outside fwbot (scripts, the web UI, gear rules) count too. "
        "`at=now` sends the first digest within a minute. Subscribing again changes the "
        "subscription (and resumes a paused one). You need read access to the project."
    ),
    options=(
        OptionSpec("project", "PROJECT", "a Flywheel project label", required=True),
        OptionSpec("gear", "GEAR", "only this gear's batches (default: every gear)"),
        OptionSpec(
            "events",
            "LIST",
            f"comma-separated: {', '.join(EVENTS)} (default: {','.join(DEFAULT_EVENTS)})",
        ),
        OptionSpec("at", "HH:MM", "the digest's time of day, 24-hour clock, or `now`"),
        OptionSpec(
            "tz", "ZONE", f"the digest's time zone, e.g. Europe/Paris (default {DEFAULT_TIMEZONE})"
        ),
    ),
    examples=(
        "/fw subscribe project=gear_testing",
        "/fw subscribe project=gear_testing gear=qsiprep-hpc events=failed,stuck",
        "/fw subscribe project=gear_testing events=digest at=08:30 tz=Europe/Paris",
    ),
    use_cases=(UseCase.SUBSCRIBE,),
)


def run(inv: Invocation, ctx: CommandContext) -> Reply:
    project = inv.option("project")
    assert project is not None  # required by SPEC
    events = inv.option("events")
    result = ctx.services.subscriptions.subscribe(
        ctx.actor,
        project,
        gear=inv.option("gear"),
        events=events.split(",") if events is not None else None,
        at=inv.option("at"),
        tz=inv.option("tz"),
    )
    return render.subscribed(result)
