"""Build the bolt ``App``: client, middleware, listeners and the error handler.

Built in a function so tests and the runner decide the Web API URL and the
token, and so importing this module never touches the network.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient

from bot.service import UseCases
from bot.settings import Settings
from bot.slack import errors
from bot.slack.identity import ResolveActor, resolve_actor_via
from bot.slack.listeners import actions, fw_command
from bot.slack.middleware import actor_middleware

BOLT_LOGGER = logging.getLogger("fwbot.bolt")
BOLT_LOGGER.setLevel(logging.WARNING)


def create_web_client(settings: Settings) -> WebClient:
    """The bot-token Web API client, pointed at ``settings.slack_api_url``."""
    token = settings.secret("slack_bot_token") or None
    return WebClient(token=token, base_url=settings.slack_api_url)


def create_app(
    settings: Settings,
    services: UseCases,
    resolve_actor: ResolveActor | None = None,
    *,
    client: WebClient | None = None,
) -> App:
    """A ready bolt app; ``auth.test`` is deferred to the first request (no call here).

    ``resolve_actor`` defaults to the identity service's cached resolver.
    """
    app = App(
        name="fwbot",
        # bolt logs every refused request at INFO, body included: anyone could fill the log
        logger=BOLT_LOGGER,
        client=client or create_web_client(settings),
        signing_secret=settings.secret("slack_signing_secret"),
        token_verification_enabled=False,
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(
            max_workers=settings.slack_listener_threads, thread_name_prefix="fwbot-slack"
        ),
    )
    errors.register(app)
    app.use(actor_middleware(resolve_actor or resolve_actor_via(services.identity)))
    fw_command.register(app, services)
    actions.register(app, services)
    return app
