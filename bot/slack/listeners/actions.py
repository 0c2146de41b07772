"""Buttons (Launch, Approve, Cancel/Reject, Cancel N pending jobs, Status, Retry failed): a
click runs its use case.

Each button's ``action_id`` is a ``commands.buttons.ButtonAction`` and its ``value``
a ``ButtonValue`` (compact JSON; a bare batch id on messages posted before that is
still read). ``handle_click`` acks, then in the answer pool reads the button
(``read_click``: anything we never made is refused with a short error) and calls
``commands.clicks.run_click`` as the clicker, which calls the same service method and
renderer as the typed command: the same permission checks, audit rows and error replies.

A click that worked replaces the message the button was on (the ephemeral plan
becomes "Launching ...", the approval request says who approved or rejected it);
a refused click gets its own ephemeral answer and leaves the buttons in place for
the person who may click them. The completion summary's Status and Retry failed answer
beside it, only to the clicker: the summary stays for the channel.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.domain import Actor
from bot.slack import metering
from bot.slack.answers import Answering
from commands.buttons import read_click
from commands.clicks import run_click
from commands.context import CommandContext
from commands.reply import Reply

logger = logging.getLogger(__name__)

# every fwbot button, known or not: an action_id we never made still gets an answer
ACTION_IDS = re.compile(r"^fw_")


def handle_click(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
    answering: Answering,
) -> None:
    """One ``block_actions`` click on an ``fw_*`` button (bolt injects all but
    ``answering``): an empty ack, then the click's use case in the answer pool."""
    ack()
    action_id = str(action.get("action_id") or "")
    raw_value = str(action.get("value") or "")
    on_ephemeral = bool((body.get("container") or {}).get("is_ephemeral"))

    def answer(actor: Actor) -> None:
        value = read_click(action_id, raw_value)
        reply = run_click(value, CommandContext(actor, answering.services))
        answer_click(
            respond, reply, on_ephemeral=on_ephemeral, replace=value.action.replaces_message
        )
        metering.count_reply(label, reply)

    label = metering.click_label(action_id)
    answering.answer_later(f"click {action_id[:20]}", context, respond, answer, command=label)


def answer_click(
    respond: Respond, reply: Reply, *, on_ephemeral: bool, replace: bool = True
) -> None:
    """Replace the clicked message with the outcome, or answer a refusal on the side.

    ``on_ephemeral``: the button sat on an ephemeral message (the requester's plan);
    the replacement keeps that visibility, an in-channel message stays in channel.
    ``replace=False`` (the summary's Status and Retry failed): the answer goes beside the
    message, which stays as it is (Status only to the clicker; a retry's plan as
    `/fw retry` answers it).
    """
    if reply.error or not replace:
        respond(
            text=reply.text,
            blocks=reply.blocks or None,
            response_type="ephemeral" if reply.ephemeral or reply.error else "in_channel",
            replace_original=False,
        )
        return
    result: Any = respond(
        text=reply.text,
        blocks=reply.blocks or None,
        response_type="ephemeral" if on_ephemeral else "in_channel",
        replace_original=True,
    )
    if int(getattr(result, "status_code", 200)) >= 400:
        logger.warning("could not replace the clicked message (%s)", result.status_code)


def register(app: App, answering: Answering) -> None:
    """Wire ``handle_click`` to every ``fw_*`` action."""

    def on_click(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: Respond,
        context: BoltContext,
    ) -> None:
        handle_click(ack, body, action, respond, context, answering)

    app.action(ACTION_IDS)(on_click)
