"""What every subcommand handler receives besides its invocation: who asks, and the services."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import Actor
from bot.service import UseCases


@dataclass(frozen=True)
class CommandContext:
    """Built by the adapter per request; handlers pass ``actor`` to every service call."""

    actor: Actor
    services: UseCases
