"""`/fw link` in Slack: a private form for the person's own Flywheel API key.

The key never goes through a command's text (logged, and easy to repeat by mistake):
`/fw link` opens a modal with one input, and the key comes back in the modal's
``view_submission``. Neither step needs to know who is asking (in ``FWBOT_ACCOUNTS=linked``
an unlinked person cannot be resolved), so the /fw listener hands `link` here before any
identity lookup (``wants_link_form``).

Both acks do no I/O: `/fw link` acks empty and the modal is opened in the answer pool
(``views.open`` with the command's ``trigger_id``); the submission acks with
``response_action: update`` to a "Checking your key with Flywheel…" view, and the answer
pool links the key (``services.linking.link``) and shows the outcome with ``views.update``
on the same view. If the person closed the form meanwhile, the outcome goes to their
direct messages instead. The key is read from the payload into the one call that needs
it: no log line, metric label or view holds it (log lines name the user and the outcome).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import FwbotError
from bot.observe import metrics
from bot.observe.context import new_request_id, request_scope
from bot.slack import errors, metering
from bot.slack.answers import Answering, tell_busy
from bot.slack.linking import (
    CALLBACK_ID,
    EXPIRED,
    KEY_BLOCK,
    View,
    busy_view,
    checking_view,
    link_modal,
    linked_view,
    not_enabled_text,
    pasted_key,
    refused_view,
    view_text,
)

log = logging.getLogger(__name__)

LINK_WORD = "link"
HELP_WORDS = frozenset({"help", "--help"})
TRIGGER_ERRORS = frozenset({"expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id"})
NO_FORM = "Slack would not open the form for your key ({code}); run `/fw link` again."
EMPTY_KEY = "Paste your Flywheel API key here."


def wants_link_form(text: str) -> bool:
    """`/fw link` (any case, anything after it) but not `/fw link help` / `--help`."""
    words = text.split()
    if not words or words[0].casefold() != LINK_WORD:
        return False
    return not any(w.casefold() in HELP_WORDS for w in words[1:])


def _label() -> str:
    return metering.command_label(LINK_WORD)


def open_link_form(
    command: dict[str, Any], respond: Respond, context: BoltContext, answering: Answering
) -> None:
    """Call after the /fw ack: in the answer pool, open the key form with the command's
    ``trigger_id`` (or say in one ephemeral line why this fwbot links no keys)."""
    trigger_id = str(command.get("trigger_id") or "")
    user_id = context.user_id or ""
    request_id = new_request_id()
    label = _label()

    def run() -> None:
        with request_scope(request_id):
            started = time.monotonic()
            log.info("/fw link from %s", user_id, extra={"command": "/fw link", "user": user_id})
            outcome = _open(trigger_id, respond, context, answering)
            metrics.count_command(label, outcome)
            log.info(
                "/fw link answered (%s) in %.0f ms",
                outcome,
                (time.monotonic() - started) * 1000,
                extra={"command": "/fw link"},
            )

    if not answering.pool.offer("/fw link", run):
        metering.count_busy(label)
        with request_scope(request_id):
            tell_busy(respond, context)


def _open(trigger_id: str, respond: Respond, context: BoltContext, answering: Answering) -> str:
    """Open the form; the outcome for the metric."""
    try:
        linking = answering.services.linking
        if not linking.linking_enabled:
            _say(respond, not_enabled_text(linking.mode))
            return metrics.USER_ERROR
        if context.client is None or not trigger_id:
            _say(respond, EXPIRED)
            return metrics.ERROR
        context.client.views_open(trigger_id=trigger_id, view=link_modal())
    except SlackApiError as err:
        code = _code(err)
        log.warning("views.open for %s failed: %s", context.user_id, code)
        _say(respond, EXPIRED if code in TRIGGER_ERRORS else NO_FORM.format(code=code))
        return metrics.UNAVAILABLE if code in TRIGGER_ERRORS else metrics.ERROR
    except Exception as error:  # not swallowed: the global handler's own path
        errors.report_after_ack(error, context)
        return metering.error_outcome(error)
    return metrics.OK


def handle_link_submission(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    context: BoltContext,
    answering: Answering,
) -> None:
    """The key form's ``view_submission`` (bolt injects all but ``answering``): ack with the
    "Checking…" view at once, then link in the answer pool and show the outcome."""
    key = pasted_key(view)
    if not key:  # only whitespace: Slack's own check lets it through
        ack(response_action="errors", errors={KEY_BLOCK: EMPTY_KEY})
        return
    ack(response_action="update", view=checking_view())
    view_id = str(view.get("id") or "")
    user_id = str((body.get("user") or {}).get("id") or context.user_id or "")
    client = context.client
    request_id = new_request_id()
    label = _label()

    def run() -> None:
        with request_scope(request_id):
            started = time.monotonic()
            result, outcome = link_key(answering, user_id, key)
            metrics.count_command(label, outcome)
            show(client, view_id, user_id, result)
            log.info(
                "link for %s: %s in %.0f ms",
                user_id,
                outcome,
                (time.monotonic() - started) * 1000,
                extra={"command": "link", "user": user_id},
            )

    if not answering.pool.offer("link form", run):
        metering.count_busy(label)
        with request_scope(request_id):
            show(client, view_id, user_id, busy_view())


def link_key(answering: Answering, user_id: str, key: str) -> tuple[View, str]:
    """Link ``key`` for the Slack user: the view that says how it went, and the outcome.
    Nothing here logs the key or an error's text (only its class)."""
    linking = answering.services.linking
    try:
        user = linking.link(user_id, "", key)
    except FwbotError as err:
        log.info("link for %s refused: %s", user_id, type(err).__name__)
        return refused_view(err.user_text()), metering.error_outcome(err)
    except Exception as err:  # fwbot's fault: a ref to give the admin, never the details
        ref = errors.new_ref()
        log.error("link for %s failed: %s (ref %s)", user_id, type(err).__name__, ref)
        return refused_view(errors.INTERNAL_ERROR.format(ref=ref)), metrics.ERROR
    return linked_view(user, linking.site), metrics.OK


def show(client: WebClient | None, view_id: str, user_id: str, view: View) -> None:
    """Replace the form with ``view``; if it is gone (closed), send the text to the user's
    direct messages instead."""
    if client is None:
        log.warning("no Slack client to answer %s's link form", user_id)
        return
    if view_id:
        try:
            client.views_update(view_id=view_id, view=view)
            return
        except SlackApiError as err:
            log.info("views.update for %s failed (%s); answering by DM", user_id, _code(err))
    try:
        client.chat_postMessage(channel=user_id, text=view_text(view))
    except SlackApiError as err:
        log.warning("could not tell %s how linking went: %s", user_id, _code(err))


def _say(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)


def _code(err: SlackApiError) -> str:
    code = err.response.get("error", "") if err.response is not None else ""
    return str(code or "error")


def register(app: App, answering: Answering) -> None:
    """Wire ``handle_link_submission`` to the key form (`/fw link` itself comes through
    the /fw listener, ``fw_command.handle_fw``)."""

    def on_submit(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
    ) -> None:
        handle_link_submission(ack, body, view, context, answering)

    app.view(CALLBACK_ID)(on_submit)
