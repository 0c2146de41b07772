"""`fwbot serve`: check settings, build the services, run Socket Mode or HTTP.

Settings are checked before anything starts, so a missing token is one clear
line naming the env var, not a traceback from deep inside slack_sdk.
"""

from __future__ import annotations

import logging

from bot.settings import Settings, require_slack
from bot.slack.app import create_app
from bot.slack.runner import run_http, run_socket_mode

logger = logging.getLogger(__name__)


def serve(settings: Settings, *, http_port: int | None = None, host: str = "0.0.0.0") -> int:
    """Run until interrupted; raises ``SettingsError`` before starting anything."""
    require_slack(settings, "http" if http_port is not None else "socket")
    from bot.bootstrap import build_runtime  # lazy: the Flywheel wiring is heavy

    runtime = build_runtime(settings)
    try:
        app = create_app(settings, runtime.services)
        if http_port is None:
            run_socket_mode(app, settings)
        else:
            server = run_http(app, http_port, host)
            try:
                server.serve_forever()
            finally:
                server.shutdown()
    except KeyboardInterrupt:
        logger.info("fwbot: stopping")
    finally:
        runtime.close()
    return 0
