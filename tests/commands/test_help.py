"""Help: the overview, and every registered command's page reached three ways."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.domain import Actor, ProjectRef
from bot.service.use_cases import UseCase
from bot.store.db import Store
from commands.context import CommandContext
from commands.dispatch import dispatch
from commands.grammar import CommandSpec
from commands.registry import COMMANDS, REGISTRY, Command, Registry
from commands.reply import Reply
from tests.commands.conftest import visible_text
from tests.fakes import FakeFlywheelGateway, fake_services

Fw = Callable[[str], Reply]
NAMES = [c.spec.name for c in COMMANDS]


def assert_is_help_for(reply: Reply, name: str) -> None:
    """What a user sees on a command's help page: its header, usage and examples."""
    spec = REGISTRY.grammar.find(name)
    assert spec is not None
    seen = visible_text(reply)
    assert reply.ephemeral
    assert seen.startswith(f"/fw {name}\n{spec.summary}.")
    assert f"*Usage*\n`{spec.usage}`" in seen
    for example in spec.examples:
        assert f"`{example}`" in seen
    assert f"Usage: {spec.usage}" in reply.console_text()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("form", ["{name} --help", "{name} help", "help {name}", "{name} -h"])
def test_every_command_has_help_in_every_form(fw: Fw, name: str, form: str) -> None:
    assert_is_help_for(fw(form.format(name=name)), name)


def test_overview_has_one_line_per_command(fw: Fw, gateway: FakeFlywheelGateway) -> None:
    gateway.projects.append(ProjectRef(project_id="p1", label="gear_testing", group="pennlinc"))
    gateway.roles["p1"] = {"mcieslak@pennlinc.example": "admin"}  # may run every command
    reply = fw("help")
    seen = visible_text(reply)
    for command in COMMANDS:
        assert f"`{command.spec.usage}` — {command.spec.summary}" in seen
    assert "`/fw help COMMAND`" in seen
    for command in COMMANDS:
        assert command.spec.usage in reply.console_text()


def test_help_for_an_unknown_command_suggests(fw: Fw) -> None:
    reply = fw("help gaers")
    assert reply.text.startswith("Unknown command `gaers`. Did you mean `gears`?")


def test_help_lists_options_and_required_arguments(fw: Fw) -> None:
    seen = visible_text(fw("gear --help"))
    assert "• `NAME` — the gear's name, as `/fw gears` shows it (required)" in seen
    assert "• `version=V` — a version other than the newest" in seen


def test_help_alias(fw: Fw) -> None:
    assert fw("?").text == fw("help").text


@pytest.mark.parametrize(
    "example", [e for c in COMMANDS for e in c.spec.examples], ids=lambda e: str(e)
)
def test_every_documented_example_parses(example: str) -> None:
    REGISTRY.grammar.parse(example.removeprefix("/fw"))


@pytest.mark.parametrize("name", NAMES)
def test_every_usage_line_names_its_command(name: str) -> None:
    spec = REGISTRY.grammar.find(name)
    assert spec is not None
    assert spec.usage.startswith(f"/fw {name}")


def test_console_help_fits_80_columns(fw: Fw) -> None:
    for text in ["help", *(f"{n} --help" for n in NAMES)]:
        assert max(len(line) for line in fw(text).console_text().splitlines()) <= 80


def test_overview_offers_only_the_commands_the_user_may_run(
    gateway: FakeFlywheelGateway, sqlite_store: Store
) -> None:
    project = ProjectRef(project_id="p1", label="gear_testing", group="pennlinc")
    gateway.projects.append(project)
    gateway.roles["p1"] = {"vera@lab.org": "read-only", "andy@lab.org": "read-write"}
    write_only = CommandSpec(
        name="launchish",
        summary="Needs write",
        usage="/fw launchish",
        use_cases=(UseCase.LAUNCH_REQUEST,),
    )
    registry = Registry((*COMMANDS, Command(write_only, lambda inv, ctx: Reply(text="ok"))))
    services = fake_services(sqlite_store, gateway)

    def overview(email: str) -> str:
        ctx = CommandContext(actor=Actor(email=email), services=services)
        return visible_text(dispatch("help", ctx, registry=registry))

    assert "/fw launchish" not in overview("vera@lab.org")
    assert "/fw launchish" in overview("andy@lab.org")
    assert "/fw gears" in overview("vera@lab.org")
    # `launch ... dry-run` needs only read access: help offers launch to readers too
    assert "/fw launch" in overview("vera@lab.org")
