"""Wiring: build the gateway, the store, the policy and the services, and (for the demo)
the embedded local Flywheel.

Everything is built here, at run time, never at import (STYLE: no import-time wiring).
``fwbot serve`` builds its runtime without calling Flywheel (``defer_flywheel``): its
gateway is a ``DeferredGateway`` that answers every call with ``FlywheelUnavailable``
until the start-up work (``bot.startup``) has connected it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from bot.domain import ModeSetting
from bot.errors import FlywheelUnavailable, FwbotError
from bot.flywheel.calls import web_url_of
from bot.flywheel.gateway import FlywheelGateway
from bot.flywheel.sdk_gateway import SdkGateway, site_of
from bot.scheduler import SchedulerLater
from bot.service import Services
from bot.service.access import Authorizer
from bot.service.accounts import Accounts, ActingGateway, Keybox, new_encryption_key
from bot.service.configs import ConfigLibrary, ConfigService
from bot.service.gears import GearService
from bot.service.history import HistoryService
from bot.service.identity import IdentityService
from bot.service.later import Later
from bot.service.launch.background import BackgroundLaunches
from bot.service.launch.launch_run import Sleep
from bot.service.launch.launcher import Launcher
from bot.service.launch.plan import Planner
from bot.service.launch.reporting import BatchReporter
from bot.service.launch.service import LaunchService
from bot.service.launch.stuck import StuckRule, StuckWatch
from bot.service.launch.summary import SummaryPoster
from bot.service.launch.timing import LaunchTiming
from bot.service.launch.watcher import BatchWatcher
from bot.service.linking import LinkingService
from bot.service.notify import BatchEvents, BatchNotifier, SilentNotifier
from bot.service.policy import Policy, load_policy
from bot.service.project_status import ProjectStatusService
from bot.service.subscriptions import build_notifications, utc_now
from bot.service.subscriptions.ports import SubscriptionNotifier
from bot.service.workers import WorkerPool
from bot.settings import Settings, SettingsError, env_name
from bot.store.db import Store

log = logging.getLogger(__name__)

DEMO_API_KEY = "fwbot-demo-key"


class DeferredGateway:
    """The gateway of a bot that starts before Flywheel has answered.

    Until ``connect()`` succeeds (Flywheel's login check), every gateway method fails at
    once with ``FlywheelUnavailable``, the short error commands already render, naming the
    last reason; after, every call goes to the connected ``SdkGateway``. Nothing here
    retries: the start-up work (``bot.startup.Startup``) calls ``connect()`` until it works.
    """

    def __init__(
        self, api_key: str, connect: Callable[[str], SdkGateway] = SdkGateway.connect
    ) -> None:
        self.site = site_of(api_key)
        self._api_key = api_key
        self._connect = connect
        self._gateway: SdkGateway | None = None
        self._lock = threading.Lock()
        self.last_error: str | None = None  # why the last connect() failed

    @property
    def connected(self) -> bool:
        return self._gateway is not None

    def connect(self) -> SdkGateway:
        """Flywheel's login check (once); raises ``FwbotError`` while Flywheel is down."""
        with self._lock:
            if self._gateway is None:
                try:
                    self._gateway = self._connect(self._api_key)
                except FwbotError as err:
                    self.last_error = err.message
                    raise
            return self._gateway

    def __getattr__(self, name: str) -> Any:
        gateway = self.__dict__.get("_gateway")
        if gateway is not None:
            return getattr(gateway, name)
        if name.startswith("_") or not callable(getattr(SdkGateway, name, None)):
            raise AttributeError(name)

        def unavailable(*args: Any, **kwargs: Any) -> Any:
            why = self.last_error
            raise FlywheelUnavailable(
                f"fwbot cannot reach Flywheel at {self.site} yet ({why.rstrip('.')})."
                if why
                else f"fwbot is still connecting to Flywheel at {self.site}.",
                hint="fwbot keeps trying on its own; try again in a minute.",
            )

        return unavailable


@dataclass
class Runtime:
    """The running pieces of one fwbot process, and how to stop them."""

    services: Services
    gateway: SdkGateway | DeferredGateway
    store: Store
    localfw: Any = None  # localfw.server.LocalFlywheel when embedded

    def connect_flywheel(self) -> None:
        """Make sure Flywheel has answered fwbot's login check (at once when it has);
        raises ``FwbotError`` while it cannot be reached."""
        if isinstance(self.gateway, DeferredGateway):
            self.gateway.connect()

    def close(self) -> None:
        self.services.workers.shutdown()
        self.store.dispose()
        if self.localfw is not None:
            self.localfw.stop()


def start_embedded_flywheel(*, speed: float = 60.0, seed: int = 7) -> Any:
    """Start the local Flywheel with the demo world on a free port (``demo`` and ``--demo``).

    The production image leaves the local Flywheel out, so there it is a clear error."""
    try:
        from localfw.demo_world import build_demo_world
        from localfw.server import LocalFlywheel
        from localfw.simulator import ScaledClock
    except ImportError as exc:
        raise SettingsError(
            "The demo Flywheel is not installed here (the production image leaves it out).",
            hint=f"Set {env_name('flywheel_api_key')} to your Flywheel site's key.",
        ) from exc

    world = build_demo_world(seed=seed)
    server = LocalFlywheel(world, api_key=DEMO_API_KEY, clock=ScaledClock(speed=speed))
    server.start(host="127.0.0.1", port=0)
    log.info("embedded local Flywheel at %s", server.url)
    return server


def open_store(settings: Settings) -> Store:
    """The configured database, migrated to the newest schema."""
    store = Store.from_url(settings.resolved_database_url())
    store.migrate()
    return store


def process_name() -> str:
    """Who holds a launch lease: unique per process, readable in the database."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


STRICT_UNITS_ENV = "FWBOT_STRICT_UNITS"


class FlywheelCallInsideUnit(RuntimeError):
    """A use case waited on Flywheel while its unit of work held the database."""


def flywheel_call_inside_unit(name: str) -> None:
    """Logged in production; an error where ``FWBOT_STRICT_UNITS=1`` (the test suite sets
    it for every process it starts), so a use case that reads Flywheel inside its unit of
    work fails a test instead of holding the write lock for Flywheel's answer."""
    if os.environ.get(STRICT_UNITS_ENV) == "1":
        raise FlywheelCallInsideUnit(f"Flywheel call {name}() inside a unit of work")
    log.warning("Flywheel call %s() inside a unit of work holds the database", name)


def build_services(
    gateway: FlywheelGateway,
    store: Store,
    policy: Policy,
    configs_dir: Path = Path("configs"),
    *,
    notifier: BatchNotifier | None = None,
    launch_mode: ModeSetting = "auto",
    launch_concurrency: int = 8,
    launch_deadline: float = 1800.0,
    launch_timing: LaunchTiming | None = None,
    launch_clock: Callable[[], float] = time.monotonic,
    launch_sleep: Sleep | None = None,
    worker_threads: int = 4,
    subscription_notifier: SubscriptionNotifier | None = None,
    clock: Callable[[], datetime] | None = None,
    stuck_after: Callable[[str], timedelta] | None = None,
    site_url: str = "",
    events: BatchEvents | None = None,
    accounts: Accounts | None = None,
    later: Later | None = None,
) -> Services:
    """``clock``: Flywheel's time (a simulated clock in tests and the demo); ``site_url``:
    Flywheel's web UI, for links; ``events``: who else hears a batch ended or is stuck
    (default: the channels subscribed to its project); ``accounts``: linked accounts
    (default: none, everyone matched by email through ``gateway``'s shared key).

    Every service gets one ``ActingGateway``: its calls go out with the key of whoever
    the current work acts for (``bot.service.accounts.acting``)."""
    acting_gateway = ActingGateway(
        gateway,
        inside_unit=store.in_unit_of_work,
        on_call_inside_unit=flywheel_call_inside_unit,
    )
    gateway = cast(FlywheelGateway, acting_gateway)
    if accounts is None:
        accounts = Accounts(
            store.linked_accounts,
            store.audit,
            keybox=None,
            mode="shared",
            service_key=getattr(acting_gateway.service, "site", "") or "",
            connect=SdkGateway.connect,
        )
    acting_gateway.set_rejection_handler(accounts.rejected)
    access = Authorizer(gateway, policy, store.audit)
    notifications = build_notifications(
        gateway,
        store,
        access,
        owner=process_name(),
        notifier=subscription_notifier,
        clock=clock or utc_now,
        stuck_after=stuck_after or StuckRule().after,
    )
    library = ConfigLibrary(configs_dir)
    workers = WorkerPool(worker_threads)
    owner = process_name()
    reporter = BatchReporter(
        gateway,
        store.batches,
        store.messages,
        notifier or SilentNotifier(),
        clock=clock or utc_now,
        site_url=site_url,
        keys=accounts,
    )
    batch_events = events or notifications.events
    launcher = Launcher(
        gateway,
        store.batches,
        reporter,
        workers.stopping,
        mode=launch_mode,
        concurrency=launch_concurrency,
        owner=process_name(),
        timing=launch_timing or LaunchTiming(deadline=launch_deadline),
        clock=launch_clock,
        sleep=launch_sleep,
        keys=accounts,
    )
    later = later or SchedulerLater()
    background = BackgroundLaunches(launcher, store.batches, workers, later)
    launches = LaunchService(
        gateway,
        Planner(gateway, access, library, policy),
        background,
        reporter,
        store.batches,
        access,
        workers,
        unit_of_work=store.unit_of_work,
        keys=accounts,
    )
    identity = IdentityService(gateway, store.identities, policy, store.audit, accounts)
    return Services(
        access=access,
        identity=identity,
        gears=GearService(gateway, access),
        history=HistoryService(gateway, access, store.audit),
        configs=ConfigService(library, gateway, access),
        launches=launches,
        watcher=BatchWatcher(
            reporter,
            store.batches,
            background,
            summaries=SummaryPoster(reporter, store.batches, batch_events, owner),
            stuck=StuckWatch(
                reporter, store.post_claims, batch_events, owner, stuck_after=stuck_after
            ),
        ),
        workers=workers,
        background=background,
        later=later,
        subscriptions=notifications.service,
        notifications=notifications,
        project_status=ProjectStatusService(gateway, access, library, store.batches),
        linking=LinkingService(accounts, identity, gateway, access),
        accounts=accounts,
    )


def build_accounts(settings: Settings, store: Store, api_key: str, *, demo: bool) -> Accounts:
    """Linked accounts as the settings say. The embedded demo makes a throwaway encryption
    key when none is set (its keys are the demo's own, gone with its data directory)."""
    secret = settings.secret("link_encryption_keys")
    if not secret and demo:
        secret = new_encryption_key()
    return Accounts(
        store.linked_accounts,
        store.audit,
        keybox=Keybox(secret) if secret else None,
        mode=settings.accounts,
        service_key=api_key,
        connect=SdkGateway.connect,
    )


def build_runtime(
    settings: Settings,
    *,
    demo: bool = False,
    demo_speed: float = 60.0,
    policy: Policy | None = None,
    notifier: BatchNotifier | None = None,
    defer_flywheel: bool = False,
    subscription_notifier: SubscriptionNotifier | None = None,
) -> Runtime:
    """Connect to Flywheel (or, with ``demo`` and no key, start the embedded one), open the
    store, load the policy and build the services. Fails fast with a ``FwbotError``.

    With ``defer_flywheel`` nothing calls Flywheel here: the gateway is a
    ``DeferredGateway`` and ``Runtime.connect_flywheel()`` makes the first call later.

    Without a key and without ``demo`` this refuses to start: a production bot that
    quietly served a demo world would look healthy while launching nothing real."""
    policy = policy if policy is not None else load_policy(settings.policy_file)
    localfw = None
    api_key = settings.secret("flywheel_api_key")
    if not api_key and not demo:
        raise SettingsError(
            f"{env_name('flywheel_api_key')} is not set: fwbot needs your Flywheel site's "
            "API key.",
            hint="Set it (host:API-KEY, from your Flywheel profile), or run with --demo "
            "for the embedded demo Flywheel.",
        )
    if not api_key:
        localfw = start_embedded_flywheel(speed=demo_speed)
        api_key = localfw.sdk_api_key
    try:
        gateway: SdkGateway | DeferredGateway = (
            DeferredGateway(api_key) if defer_flywheel else SdkGateway.connect(api_key)
        )
        store = open_store(settings)
        accounts = build_accounts(settings, store, api_key, demo=localfw is not None)
    except Exception:
        if localfw is not None:
            localfw.stop()
        raise
    return Runtime(
        services=build_services(
            cast(FlywheelGateway, gateway),  # a DeferredGateway forwards every method
            store,
            policy,
            settings.configs_dir,
            notifier=notifier,
            launch_mode=settings.launch_mode,
            launch_concurrency=settings.launch_concurrency,
            launch_deadline=settings.launch_deadline,
            worker_threads=settings.worker_threads,
            subscription_notifier=subscription_notifier,
            clock=localfw.clock.now if localfw is not None else None,
            stuck_after=StuckRule(settings.stuck_after, settings.stuck_after_by_gear).after,
            site_url=settings.flywheel_url or web_url_of(api_key),
            accounts=accounts,
        ),
        gateway=gateway,
        store=store,
        localfw=localfw,
    )
