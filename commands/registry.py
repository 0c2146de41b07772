"""The registered /fw subcommands: adding one is one module plus one line here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from commands.context import CommandContext
from commands.grammar import CommandSpec, Grammar, Invocation
from commands.reply import Reply
from commands.subcommands import (
    accounts,
    batch_actions,
    batches,
    cancel,
    config,
    configs,
    gear,
    gears,
    help,
    history,
    launch,
    retry,
    status,
    subscribe,
    subscriptions,
    unsubscribe,
)

Handler = Callable[[Invocation, CommandContext], Reply]


@dataclass(frozen=True)
class Command:
    spec: CommandSpec
    run: Handler


class Registry:
    """Commands by name, and the grammar their specs make up."""

    def __init__(self, commands: tuple[Command, ...]) -> None:
        self.commands = commands
        self.grammar = Grammar(c.spec for c in commands)
        self._handlers = {c.spec.name: c.run for c in commands}

    def handler(self, spec: CommandSpec) -> Handler:
        return self._handlers[spec.name]


COMMANDS: tuple[Command, ...] = (
    Command(help.SPEC, help.run),
    Command(gears.SPEC, gears.run),
    Command(gear.SPEC, gear.run),
    Command(configs.SPEC, configs.run),
    Command(config.SPEC, config.run),
    Command(launch.SPEC, launch.run),
    Command(batch_actions.CONFIRM, batch_actions.confirm),
    Command(batch_actions.APPROVE, batch_actions.approve),
    Command(status.SPEC, status.run),
    Command(batches.SPEC, batches.run),
    Command(cancel.SPEC, cancel.run),
    Command(retry.SPEC, retry.run),
    Command(history.SPEC, history.run),
    Command(subscribe.SPEC, subscribe.run),
    Command(unsubscribe.SPEC, unsubscribe.run),
    Command(subscriptions.SPEC, subscriptions.run),
    Command(accounts.LINK, accounts.link),
    Command(accounts.UNLINK, accounts.unlink),
    Command(accounts.WHOAMI, accounts.whoami),
)

REGISTRY = Registry(COMMANDS)
