"""The service layer: permission-checked use cases, the only door to Flywheel and the store.

Adapters (Slack, console) and commands receive :class:`UseCases`: the use cases and
nothing else, so no handler can reach the gateway, a repository or the background
machinery (watcher, worker pool) except through a permission-checked call. The
composition root (``bot.bootstrap``) builds :class:`Services`, which has both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.domain import Actor
from bot.service.access import Authorizer
from bot.service.accounts import Accounts
from bot.service.configs import ConfigService
from bot.service.gears import GearService
from bot.service.history import HistoryService
from bot.service.identity import IdentityService
from bot.service.launch.service import LaunchService
from bot.service.launch.watcher import BatchWatcher
from bot.service.linking import LinkingService
from bot.service.project_status import ProjectStatusService
from bot.service.subscriptions import Notifications, SubscriptionService
from bot.service.use_cases import Access
from bot.service.workers import WorkerPool


class Capabilities(Protocol):
    def capabilities(self, actor: Actor) -> frozenset[Access]:
        """The access levels the actor holds somewhere: what `/fw help` may offer."""
        ...


class UseCases(Protocol):
    """What adapters and commands may call: permission-checked use cases only."""

    @property
    def access(self) -> Capabilities: ...
    @property
    def identity(self) -> IdentityService: ...
    @property
    def gears(self) -> GearService: ...
    @property
    def history(self) -> HistoryService: ...
    @property
    def configs(self) -> ConfigService: ...
    @property
    def launches(self) -> LaunchService: ...
    @property
    def subscriptions(self) -> SubscriptionService: ...
    @property
    def project_status(self) -> ProjectStatusService: ...
    @property
    def linking(self) -> LinkingService: ...


@dataclass(frozen=True)
class Services:
    """The use cases plus the background machinery, built once by ``bot.bootstrap``;
    it satisfies :class:`UseCases`, which is all adapters and commands are given."""

    access: Authorizer
    identity: IdentityService
    gears: GearService
    history: HistoryService
    configs: ConfigService
    launches: LaunchService
    watcher: BatchWatcher
    workers: WorkerPool
    subscriptions: SubscriptionService
    notifications: Notifications  # digests, runs outside fwbot, BatchEvents: the scheduler's
    project_status: ProjectStatusService
    linking: LinkingService
    accounts: Accounts  # the background's: whose key a batch's own work uses
