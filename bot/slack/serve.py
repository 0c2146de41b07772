"""`fwbot serve`: check settings, build the services, run Socket Mode or HTTP.

Settings are checked before anything starts, so a missing token is one clear
line naming the env var, not a traceback from deep inside slack_sdk. The Web
API client is built first and shared: the bolt app answers with it, and the
batch messages (``SlackNotifier``) are posted with it, and so is the direct message
that tells someone their linked Flywheel key was refused and forgotten
(``Accounts.on_dropped``, ``bot.slack.linking.tell_dropped_link``).

Nothing here waits for Flywheel: Slack is served at once, and the work that needs
Flywheel (its login check, resuming the launches this bot had begun before a restart,
then the batch watcher on the scheduler) runs in the background until it succeeds
(``bot.startup``); meanwhile commands that need Flywheel get the short "cannot reach
Flywheel" answer and ``GET /readyz`` answers 503 with the reason.

Readiness is composed here (``readiness``): the start-up work first, then the database
(``SELECT 1``), Flywheel (its login check) and Slack (``auth.test``, unless a Web API call
just succeeded), probed as ``bot.observe.health`` says. ``fwbot_batches`` reads the store
at each scrape. Socket Mode serves the probes and ``/metrics`` on ``FWBOT_HEALTH_PORT``;
HTTP mode on its own port.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from bot.observe import metrics
from bot.observe.health import Dependency, Readiness
from bot.settings import Settings, require_slack
from bot.slack.app import create_app, create_web_client
from bot.slack.linking import tell_dropped_link
from bot.slack.metering import slack_meter
from bot.slack.notifier import SlackNotifier
from bot.slack.posting import SlackPoster
from bot.slack.runner import run_health, run_http, run_socket_mode, socket_mode_handler
from bot.slack.subscription_notifier import SlackSubscriptionNotifier

if TYPE_CHECKING:
    from bot.bootstrap import Runtime

logger = logging.getLogger(__name__)


def serve(
    settings: Settings,
    *,
    http_port: int | None = None,
    host: str = "0.0.0.0",
    demo: bool = False,
) -> int:
    """Run until interrupted; raises ``SettingsError`` before starting anything."""
    require_slack(settings, "http" if http_port is not None else "socket")
    from bot.bootstrap import build_runtime  # lazy: the Flywheel wiring is heavy
    from bot.scheduler import start_scheduler
    from bot.startup import Startup

    client = create_web_client(settings)
    poster = SlackPoster(client)  # one pacing per channel for every kind of post
    runtime = build_runtime(
        settings,
        demo=demo,
        notifier=SlackNotifier(client, poster=poster),
        subscription_notifier=SlackSubscriptionNotifier(poster),
        defer_flywheel=True,
    )
    # a linked key Flywheel refused is deleted; its owner hears it once, privately
    runtime.services.accounts.on_dropped = tell_dropped_link(client)
    previous = stop_on_sigterm()
    startup = None
    unwatch = metrics.watch_batches(
        lambda: {state.value: n for state, n in runtime.store.batches.count_by_state().items()}
    )
    try:
        app = create_app(settings, runtime.services, client=client)
        startup = Startup(
            runtime,
            lambda: start_scheduler(
                runtime.services.watcher,
                interval=settings.watch_interval,
                notifications=runtime.services.notifications,
                outside_interval=settings.outside_runs_interval,
                later=runtime.services.later,
            ),
        ).start()
        if http_port is None:
            handler = socket_mode_handler(app, settings)
            ready = readiness(settings, startup.not_ready, runtime, client, socket=handler)
            health = run_health(settings.health_port, host, readiness=ready).start_in_thread()
            try:
                run_socket_mode(app, settings, handler)
            finally:
                health.shutdown()
        else:
            ready = readiness(settings, startup.not_ready, runtime, client)
            server = run_http(app, http_port, host, readiness=ready)
            try:
                server.serve_forever()
            finally:
                server.shutdown()
    except KeyboardInterrupt:
        logger.info("fwbot: stopping")
    finally:
        unwatch()
        if startup is not None:
            startup.stop()
        runtime.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0


def readiness(
    settings: Settings,
    gate: Callable[[], str | None],
    runtime: Runtime,
    client: WebClient,
    *,
    socket: SocketModeHandler | None = None,
) -> Readiness:
    """What ``/readyz`` answers: ``gate`` (the start-up work), then the database, Flywheel
    and Slack, each probed at most every ``FWBOT_READINESS_INTERVAL`` seconds; in Socket
    Mode also the WebSocket (``socket``): while it is down no command reaches this bot,
    however well the Web API answers."""
    interval = settings.readiness_interval
    meter = slack_meter(client)

    def slack() -> None:
        if meter is None or not meter.ok_within(interval):
            client.auth_test()

    dependencies = [
        Dependency("database", runtime.store.ping, interval=interval),
        # looked up at each probe: the deferred gateway forwards only once connected
        Dependency("Flywheel", lambda: runtime.gateway.ping(), interval=interval),
        Dependency("Slack", slack, interval=interval),
    ]
    if socket is not None:

        def connected() -> None:
            if not socket.client.is_connected():
                raise ConnectionError("the WebSocket to Slack is closed; reconnecting")

        dependencies.append(Dependency("Slack Socket Mode", connected, interval=interval))
    return Readiness(gate, dependencies)


def stop_on_sigterm() -> Any:
    """SIGTERM (docker stop, Kubernetes) takes the Ctrl-C path: launches stop at their next
    session and give their leases back, so a new process resumes them at once. Returns
    the handler it replaced (None off the main thread, where none can be set)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)
