"""/fw end to end: text in, what the user sees out, with a real GearService over the fake."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.domain import Actor
from bot.errors import PermissionDenied
from bot.service.access import Access
from commands.context import CommandContext
from commands.dispatch import dispatch
from commands.grammar import CommandSpec, Invocation
from commands.registry import COMMANDS, Command, Handler, Registry
from commands.reply import Reply
from tests.commands.conftest import visible_text
from tests.fakes import FakeFlywheelGateway

Fw = Callable[[str], Reply]


def test_gears_lists_every_gear_with_count_first(fw: Fw) -> None:
    reply = fw("gears")
    seen = visible_text(reply)
    assert seen.startswith("*4 gears* on this site")
    for name, version in [("qsiprep-hpc", "0.21.4"), ("fmriprep", "23.2.1"), ("dcm2niix", "2.1.0")]:
        assert f"`{name}` {version}" in seen
    assert "0.20.0" not in seen  # only the newest version of each gear
    assert reply.text == "4 gears: curate-bids, dcm2niix, fmriprep, qsiprep-hpc"


def test_slash_fw_prefix_is_accepted(fw: Fw) -> None:
    assert fw("/fw gears").text == fw("gears").text
    assert fw("/FW gears qsi").text == "1 gear: qsiprep-hpc"


def test_gears_filter_by_text(fw: Fw) -> None:
    reply = fw("gears BIDS")
    assert reply.text == "1 gear: curate-bids"
    assert visible_text(reply).startswith("*1 gear* matching `BIDS`")


def test_gears_filter_with_smart_quotes_and_spaces(fw: Fw) -> None:
    assert fw("gears “BIDS Curation”").text == "1 gear: curate-bids"


def test_no_gears_match_says_so_with_a_hint(fw: Fw) -> None:
    reply = fw("gears xyz")
    seen = visible_text(reply)
    assert seen.startswith("No gears match `xyz`.")
    assert "`/fw gears` to list them all" in seen
    assert "No gears match `xyz`." in reply.console_text()


def test_gear_shows_versions_inputs_and_config(fw: Fw) -> None:
    seen = visible_text(fw("gear qsiprep-hpc"))
    assert "qsiprep-hpc 0.21.4" in seen
    assert "Versions, newest first: 0.21.4, 0.20.0, 0.9.0" in seen
    assert "• `freesurfer_license` file, optional" in seen
    assert (
        "• `hmc_model` string · default `eddy` · one of `eddy`, `eddy_ingress`, `3dSHORE`" in seen
    )
    assert "• `output_resolution` number · required · 0.5 to 5" in seen


def test_gear_version_option_picks_that_version(fw: Fw) -> None:
    reply = fw("gear qsiprep-hpc version=0.20.0")
    assert reply.text == "qsiprep-hpc 0.20.0: 2 inputs, 5 config options"
    assert "unringing_method" not in visible_text(reply)


def test_fmriprep_enum_of_integers(fw: Fw) -> None:
    seen = visible_text(fw("gear fmriprep"))
    assert "• `bold2t1w_dof` integer · default `9` · one of `6`, `9`, `12`" in seen


def test_unknown_gear_suggests_the_nearest_name(fw: Fw) -> None:
    reply = fw("gear qsiprp")
    assert reply.ephemeral
    assert reply.text.splitlines() == [
        "No gear named `qsiprp`.",
        "Did you mean `qsiprep-hpc`?",
        "Type `/fw gear help` for its usage.",
    ]
    assert "No gear named `qsiprp`." in visible_text(reply)


def test_unknown_command_reply_starts_with_unknown_command(fw: Fw) -> None:
    reply = fw("gaers")
    assert reply.ephemeral
    assert reply.text.startswith("Unknown command `gaers`. Did you mean `gears`?")
    assert "Type `/fw help`" in reply.text
    assert "Unknown command `gaers`" in visible_text(reply)


def test_bad_option_points_at_the_commands_help(fw: Fw) -> None:
    reply = fw("gear fmriprep versoin=20.2.7")
    assert reply.text.splitlines() == [
        "Unknown option `versoin=` for `/fw gear`. Did you mean `version=`?",
        "`/fw gear` takes `version=`.",
        "Type `/fw gear help` for its usage.",
    ]


def test_unbalanced_quote_reply_shows_what_to_type(fw: Fw) -> None:
    reply = fw('gears "BIDS curation')
    assert "never closed" in reply.text
    assert '`"BIDS curation"`' in reply.text


def test_ten_thousand_characters_get_a_short_answer(fw: Fw, gateway: FakeFlywheelGateway) -> None:
    reply = fw("gears " + "a" * 10_000)
    assert reply.text.startswith("That is too long for /fw")
    assert len(reply.text) < 200
    assert len(visible_text(reply)) < 300
    assert gateway.calls == []  # refused before anything reaches the service


def test_empty_text_shows_the_overview(fw: Fw) -> None:
    open_to_all = sum(1 for c in COMMANDS if c.spec.access is Access.SITE)  # a user with no role
    for text in ("", "/fw", "/fw   "):
        assert visible_text(fw(text)).startswith(
            f"*/fw* runs Flywheel gears from Slack. {open_to_all} commands:"
        )


def test_user_text_is_escaped_for_mrkdwn(fw: Fw) -> None:
    seen = visible_text(fw("gears <!channel> & co"))
    assert "`&lt;!channel&gt; &amp; co`" in seen
    assert "<!channel>" not in seen
    assert "<!channel>" not in fw("gaers<!here>").text


def test_service_errors_become_ephemeral_replies_without_tracebacks(ctx: CommandContext) -> None:
    def refuse(inv: Invocation, ctx: CommandContext) -> Reply:
        raise PermissionDenied(
            "You need read-write access to `gear_testing`.", hint="Ask a project admin."
        )

    registry = _registry_with(CommandSpec(name="secret", summary="s", usage="/fw secret"), refuse)
    reply = dispatch("secret", ctx, registry=registry)
    assert reply.ephemeral
    assert reply.text.splitlines() == [  # a refusal: no pointer to the usage, which won't help
        "You need read-write access to `gear_testing`.",
        "Ask a project admin.",
    ]
    assert "Traceback" not in reply.console_text()


def test_other_exceptions_propagate_to_the_adapter(ctx: CommandContext) -> None:
    def boom(inv: Invocation, ctx: CommandContext) -> Reply:
        raise RuntimeError("bug")

    registry = _registry_with(CommandSpec(name="boom", summary="b", usage="/fw boom"), boom)
    with pytest.raises(RuntimeError, match="bug"):
        dispatch("boom", ctx, registry=registry)


def test_actor_reaches_the_handler(ctx: CommandContext) -> None:
    seen: list[Actor] = []

    def who(inv: Invocation, c: CommandContext) -> Reply:
        seen.append(c.actor)
        return Reply(text="ok")

    spec = CommandSpec(name="echo-actor", summary="w", usage="/fw echo-actor")
    registry = _registry_with(spec, who)
    assert dispatch("echo-actor", ctx, registry=registry).text == "ok"
    assert seen == [ctx.actor]


def _registry_with(spec: CommandSpec, run: Handler) -> Registry:
    """The real commands plus one test command, to drive the dispatcher's error paths."""
    return Registry((*COMMANDS, Command(spec, run)))
