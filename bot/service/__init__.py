"""The service layer: permission-checked use cases, the only door to Flywheel and the store."""

from __future__ import annotations

from dataclasses import dataclass

from bot.service.access import Authorizer
from bot.service.configs import ConfigService
from bot.service.gears import GearService
from bot.service.history import HistoryService
from bot.service.identity import IdentityService


@dataclass(frozen=True)
class Services:
    """Everything the commands and adapters may call, built once by ``bot.bootstrap``."""

    access: Authorizer
    identity: IdentityService
    gears: GearService
    history: HistoryService
    configs: ConfigService
