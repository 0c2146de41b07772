"""The service layer: permission-checked use cases, the only door to Flywheel and the store.

Adapters (Slack, console) and commands receive :class:`UseCases`: per area, the methods
they call and nothing else, each taking the actor and passing ``bot.service.door``
(or marked ``@unchecked`` with why). No handler can reach the gateway, a repository, a
collaborator or the background machinery (watcher, worker pool, ``BackgroundLaunches``,
the scheduler's ``Later``) or resolve someone else by email: mypy rejects it
(tests/service/test_use_case_protocols.py). The composition root (``bot.bootstrap``)
builds :class:`Services`, which has all of it and satisfies :class:`UseCases`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from bot.domain import Actor, Batch, BatchState, GearDetail, GearSummary, UserRef
from bot.service.access import Authorizer
from bot.service.accounts import Accounts
from bot.service.configs import ConfigService
from bot.service.configs.loader import ConfigEntry
from bot.service.configs.service import ConfigView
from bot.service.gears import GearService
from bot.service.history import DEFAULT_LIMIT, History, HistoryService
from bot.service.identity import IdentityService, SlackProfile
from bot.service.later import Later
from bot.service.launch.background import BackgroundLaunches
from bot.service.launch.plan import LaunchPlan, LaunchRequest
from bot.service.launch.progress import BatchView
from bot.service.launch.retry import RetryTicket
from bot.service.launch.service import CancelOutcome, LaunchService, LaunchTicket
from bot.service.launch.watcher import BatchWatcher
from bot.service.linking import LinkingService, WhoAmI
from bot.service.project_status import (
    BATCHES_SHOWN,
    BatchList,
    GearStatus,
    ProjectOverview,
    ProjectStatusService,
)
from bot.service.subscriptions import Notifications, SubscriptionService
from bot.service.subscriptions.ports import Subscribed, SubscriptionList
from bot.service.use_cases import Access
from bot.service.workers import WorkerPool


class Capabilities(Protocol):
    def capabilities(self, actor: Actor) -> frozenset[Access]:
        """The access levels the actor holds somewhere: what `/fw help` may offer."""
        ...


class Identity(Protocol):
    """Who is typing in Slack; never someone else by email (the console's ``--as`` is the
    composition root's)."""

    def for_slack_user(
        self,
        slack_user_id: str,
        channel_id: str | None,
        fetch_profile: Callable[[], SlackProfile],
    ) -> Actor: ...


class GearCatalogue(Protocol):
    def list_gears(self, actor: Actor, text: str | None = None) -> list[GearSummary]: ...
    def gear_detail(self, actor: Actor, name: str, version: str | None = None) -> GearDetail: ...


class SavedConfigs(Protocol):
    def list_configs(self, actor: Actor, gear: str | None = None) -> list[ConfigEntry]: ...
    def show_config(self, actor: Actor, name: str) -> ConfigView: ...


class AuditTrail(Protocol):
    def recent(
        self, actor: Actor, project_label: str | None = None, limit: int = DEFAULT_LIMIT
    ) -> History: ...


class Launches(Protocol):
    """Plans and batches, by the actor; launching itself runs in the background, which
    commands cannot reach."""

    def preview(self, actor: Actor, request: LaunchRequest) -> LaunchPlan: ...
    def request(self, actor: Actor, request: LaunchRequest) -> LaunchTicket: ...
    def confirm(self, actor: Actor, batch_id: str, *, others: bool = False) -> Batch: ...
    def approve(self, actor: Actor, batch_id: str, *, others: bool = False) -> Batch: ...
    def cancel(self, actor: Actor, batch_id: str, *, confirmed: bool) -> CancelOutcome: ...
    def status(self, actor: Actor, batch_id: str) -> BatchView: ...
    def retry(self, actor: Actor, batch_id: str) -> RetryTicket: ...
    def latest(self, actor: Actor, states: list[BatchState] | None = None) -> Batch: ...


class Subscriptions(Protocol):
    def subscribe(
        self,
        actor: Actor,
        project_label: str,
        *,
        gear: str | None = None,
        events: Sequence[str] | None = None,
        at: str | None = None,
        tz: str | None = None,
    ) -> Subscribed: ...
    def unsubscribe(self, actor: Actor, project_label: str, *, gear: str | None = None) -> str: ...
    def for_channel(self, actor: Actor) -> SubscriptionList: ...


class ProjectStatus(Protocol):
    def gear_status(
        self, actor: Actor, project_label: str, gear: str, version: str | None = None
    ) -> GearStatus: ...
    def overview(self, actor: Actor, project_label: str) -> ProjectOverview: ...
    def batches(
        self,
        actor: Actor,
        *,
        project_label: str | None = None,
        mine: bool = False,
        limit: int = BATCHES_SHOWN,
    ) -> BatchList: ...


class Linking(Protocol):
    """A person's own Flywheel key: link it, forget it, and act with it."""

    @property
    def mode(self) -> str: ...
    @property
    def site(self) -> str: ...
    @property
    def linking_enabled(self) -> bool: ...
    def speaking_as(self, actor: Actor) -> AbstractContextManager[None]: ...
    def link(self, slack_user_id: str | None, email: str, api_key: str) -> UserRef: ...
    def unlink(self, actor: Actor) -> bool: ...
    def whoami(self, actor: Actor) -> WhoAmI: ...


class UseCases(Protocol):
    """What adapters and commands may call: permission-checked use cases only."""

    @property
    def access(self) -> Capabilities: ...
    @property
    def identity(self) -> Identity: ...
    @property
    def gears(self) -> GearCatalogue: ...
    @property
    def history(self) -> AuditTrail: ...
    @property
    def configs(self) -> SavedConfigs: ...
    @property
    def launches(self) -> Launches: ...
    @property
    def subscriptions(self) -> Subscriptions: ...
    @property
    def project_status(self) -> ProjectStatus: ...
    @property
    def linking(self) -> Linking: ...


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
    background: BackgroundLaunches  # launches on their own: the pool's, restarts', retries'
    later: Later  # one-shot jobs on the scheduler (a launch tried again when a lease lapses)
    subscriptions: SubscriptionService
    notifications: Notifications  # digests, runs outside fwbot, BatchEvents: the scheduler's
    project_status: ProjectStatusService
    linking: LinkingService
    accounts: Accounts  # the background's: whose key a batch's own work uses
