"""Build the bolt ``App``: client, middleware, listeners and the error handler.

Built in a function so tests and the runner decide the Web API URL and the
token, and so importing this module never touches the network.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry import default_retry_handlers

from bot.service import UseCases
from bot.settings import Settings
from bot.slack import errors
from bot.slack.answers import Answering, AnswerPool, favour_acks
from bot.slack.identity import ResolveActor, resolve_actor_via
from bot.slack.listeners import actions, fw_command, link
from bot.slack.metering import SlackApiMeter

BOLT_LOGGER = logging.getLogger("fwbot.bolt")
BOLT_LOGGER.setLevel(logging.WARNING)


def create_web_client(settings: Settings) -> WebClient:
    """The bot-token Web API client, pointed at ``settings.slack_api_url``; its first retry
    handler counts every call's errors and 429s (``bot.slack.metering.SlackApiMeter``), and
    bolt copies it into the client it makes for each request."""
    token = settings.secret("slack_bot_token") or None
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        retry_handlers=[SlackApiMeter(), *default_retry_handlers()],
    )


def create_app(
    settings: Settings,
    services: UseCases,
    resolve_actor: ResolveActor | None = None,
    *,
    client: WebClient | None = None,
    verify_token: bool = True,
) -> App:
    """A ready bolt app. ``verify_token`` makes bolt's ``auth.test`` here, so no request
    waits for it before its ack (only tests without a Slack to call turn it off).

    Listeners ack at once and answer in an ``AnswerPool`` of ``answer_threads`` threads
    (``answer_backlog`` more may wait); ``resolve_actor`` (who is asking) runs there too,
    and defaults to the identity service's cached resolver.
    """
    app = App(
        name="fwbot",
        # bolt logs every refused request at INFO, body included: anyone could fill the log
        logger=BOLT_LOGGER,
        client=client or create_web_client(settings),
        signing_secret=settings.secret("slack_signing_secret"),
        # `auth.test` now, not before the first request's ack (bolt would make it there)
        token_verification_enabled=verify_token,
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(
            max_workers=settings.slack_listener_threads, thread_name_prefix="fwbot-slack"
        ),
    )
    errors.register(app)
    favour_acks()
    answering = Answering(
        services,
        AnswerPool(settings.answer_threads, settings.answer_backlog),
        resolve_actor or resolve_actor_via(services.identity),
    )
    fw_command.register(app, answering)
    actions.register(app, answering)
    link.register(app, answering)
    return app
