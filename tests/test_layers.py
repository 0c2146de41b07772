"""The layering, checked on the source: adapters -> commands -> service -> gateway/store,
nothing imports upward, and the domain imports nothing but itself and the errors."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def imported(folder: str) -> dict[Path, set[str]]:
    """Module -> every module it imports (absolute imports only: fwbot uses no others)."""
    found: dict[Path, set[str]] = {}
    for path in (REPO / folder).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
        found[path] = names
    return found


def offenders(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{path.relative_to(REPO)} imports {name}"
        for path, names in imported(folder).items()
        for name in names
        if name.startswith(forbidden)
    )


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        # commands get use cases: never the store, the gateway or the local Flywheel
        ("commands", ("bot.store", "bot.flywheel", "bot.slack", "localfw", "doubles")),
        # the service never reaches up into adapters or commands
        ("bot/service", ("bot.slack", "bot.console", "commands", "localfw", "doubles")),
        ("bot/store", ("bot.service", "bot.slack", "commands", "bot.flywheel", "localfw")),
        ("bot/flywheel", ("bot.service", "bot.slack", "commands", "bot.store", "localfw")),
        ("bot/domain", ("bot.service", "bot.slack", "commands", "bot.store", "bot.flywheel")),
        # `fwbot check` reads settings, Flywheel, the store and the service; no adapter
        ("bot/check", ("bot.slack", "bot.console", "commands", "localfw", "doubles")),
    ],
)
def test_nothing_imports_upward(folder: str, forbidden: tuple[str, ...]) -> None:
    assert offenders(folder, forbidden) == []


def test_the_slack_adapter_gets_use_cases_not_the_gateway_or_the_store() -> None:
    slack = [
        o
        for o in offenders("bot/slack", ("bot.store", "bot.flywheel", "localfw"))
        if not o.startswith("bot/slack/serve.py")  # the composition root for `fwbot serve`
    ]
    assert slack == []


def test_the_domain_imports_only_itself_and_the_errors() -> None:
    for path, names in imported("bot/domain").items():
        fwbot = {n for n in names if n.startswith(("bot", "commands", "localfw"))}
        assert all(n == "bot.errors" or n.startswith("bot.domain.") for n in fwbot), path


def test_observe_is_a_leaf_every_layer_may_use() -> None:
    """bot/observe (request ids, logs, metrics, readiness) imports nothing else of fwbot."""
    for path, names in imported("bot/observe").items():
        fwbot = {n for n in names if n.startswith(("bot", "commands", "localfw", "doubles"))}
        assert all(n.startswith("bot.observe") for n in fwbot), (path, fwbot)
