"""Buttons (Launch, Approve, Cancel/Reject): a click runs the same /fw command as typing it.

``ACTION_COMMANDS`` maps each button's ``action_id`` to its command and the
button's ``value`` is the batch id, so a click goes through ``dispatch`` like
`/fw confirm b7k2q` would: the same permission checks, audit rows and error
replies. A click that worked replaces the message the button was on (the
ephemeral plan becomes "Launching ...", the approval request says who approved
or rejected it); a refused click gets its own ephemeral answer and leaves the
buttons in place for the person who may click them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.domain import Actor
from bot.errors import UsageError
from bot.service import Services
from bot.slack import errors
from commands.context import CommandContext
from commands.dispatch import dispatch
from commands.render.batch import ACTION_COMMANDS, command_for
from commands.reply import Reply

logger = logging.getLogger(__name__)

ACTION_IDS = re.compile(r"^fw_")
BATCH_VALUE = re.compile(r"^b[a-z0-9]{4,8}$")
BROKEN_BUTTON = "That button does not name a batch fwbot knows how to read."
BROKEN_HINT = "Type the command instead, e.g. `/fw status` for your latest batch."


@dataclass(frozen=True)
class Click:
    """A button press, checked: the command it stands for and the batch it names."""

    action_id: str
    command: str
    batch_id: str

    @property
    def text(self) -> str:
        """What the user would have typed after `/fw`."""
        return command_for(self.action_id, self.batch_id)


def parse_click(action: dict[str, Any]) -> Click:
    """Read one ``block_actions`` action; raises ``UsageError`` for a value we never made."""
    action_id = str(action.get("action_id") or "")
    value = str(action.get("value") or "").strip()
    command = ACTION_COMMANDS.get(action_id)
    if command is None or not BATCH_VALUE.fullmatch(value):
        logger.warning("unusable click: action_id=%r value=%r", action_id[:40], value[:40])
        raise UsageError(BROKEN_BUTTON, hint=BROKEN_HINT)
    return Click(action_id=action_id, command=command, batch_id=value)


def answer_click(respond: Respond, reply: Reply, *, on_ephemeral: bool) -> None:
    """Replace the clicked message with the outcome, or answer a refusal on the side.

    ``on_ephemeral``: the button sat on an ephemeral message (the requester's plan);
    the replacement keeps that visibility, an in-channel message stays in channel.
    """
    if reply.error:
        respond(
            text=reply.text,
            blocks=reply.blocks or None,
            response_type="ephemeral",
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


def register(app: App, services: Services) -> None:
    @app.action(ACTION_IDS)
    def handle_click(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: Respond,
        actor: Actor,
        context: BoltContext,
    ) -> None:
        ack()
        try:
            click = parse_click(action)
            reply = dispatch(click.text, CommandContext(actor, services))
            on_ephemeral = bool((body.get("container") or {}).get("is_ephemeral"))
            answer_click(respond, reply, on_ephemeral=on_ephemeral)
        except Exception as error:  # not swallowed: the global handler's own path
            errors.report_after_ack(error, context)
