"""The service layer: permission-checked use cases, the only door to Flywheel and the store."""

from __future__ import annotations

from dataclasses import dataclass

from bot.service.access import Authorizer
from bot.service.configs import ConfigService
from bot.service.gears import GearService
from bot.service.history import HistoryService
from bot.service.identity import IdentityService
from bot.service.launch.service import LaunchService
from bot.service.launch.watcher import BatchWatcher
from bot.service.workers import WorkerPool


@dataclass(frozen=True)
class Services:
    """Everything the commands and adapters may call, built once by ``bot.bootstrap``."""

    access: Authorizer
    identity: IdentityService
    gears: GearService
    history: HistoryService
    configs: ConfigService
    launches: LaunchService
    watcher: BatchWatcher
    workers: WorkerPool
