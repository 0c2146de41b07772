"""The service layer: permission-checked use cases, the only door to Flywheel and the store."""

from __future__ import annotations

from dataclasses import dataclass

from bot.service.gears import GearService


@dataclass(frozen=True)
class Services:
    """Everything the commands may call, built once by ``bot.bootstrap``."""

    gears: GearService
