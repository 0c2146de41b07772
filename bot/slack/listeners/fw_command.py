"""`/fw`: ack at once, then answer by ``response_url`` with what ``commands`` rendered.

The listener acks with nothing done (no Slack, Flywheel or database call before it), so
Slack's 3 s budget never depends on them; who is asking, the permission checks and the
answer run in fwbot's answer pool (``bot.slack.answers``), which says "busy" rather than
drop a command when full. User errors come back from ``dispatch`` as a ``Reply``;
anything unexpected goes to the global error handler's post-ack path (see
``errors.report_after_ack`` for why it is called directly).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.domain import Actor
from bot.service import UseCases
from bot.slack.answers import Answering
from commands.context import CommandContext
from commands.dispatch import dispatch
from commands.reply import Reply

logger = logging.getLogger(__name__)

COMMAND = "/fw"


def send_reply(respond: Respond, reply: Reply) -> None:
    """Post a ``Reply`` to the command's ``response_url``.

    If Slack refuses the blocks, the text alone is sent instead: a plainer
    answer beats silence.
    """
    response_type = "ephemeral" if reply.ephemeral else "in_channel"
    result: Any = respond(
        text=reply.text,
        blocks=reply.blocks or None,
        response_type=response_type,
        replace_original=False,
    )
    if _ok(result) or not reply.blocks:
        return
    logger.warning("Slack refused a reply's blocks (%s); sending its text only", _why(result))
    result = respond(text=reply.text, response_type=response_type, replace_original=False)
    if not _ok(result):
        logger.warning("response_url post failed: %s", _why(result))


def _ok(result: Any) -> bool:
    return int(getattr(result, "status_code", 200)) < 400


def _why(result: Any) -> str:
    return f"{getattr(result, 'status_code', '?')} {getattr(result, 'body', '')}"


def command_text(raw: str) -> str:
    """Slack escapes ``&``, ``<`` and ``>`` in slash-command text; undo exactly those three."""
    return raw.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def handle_fw(
    ack: Ack,
    command: dict[str, Any],
    respond: Respond,
    context: BoltContext,
    answering: Answering,
) -> None:
    """One `/fw ...` (bolt injects all but ``answering``): an empty ack, then the answer
    in the pool."""
    ack()
    text = command_text(command.get("text") or "")
    answering.answer_later(
        f"/fw {text.split(' ', 1)[0][:20]}",
        context,
        respond,
        lambda actor: answer_fw(text, respond, actor, answering.services),
    )


def answer_fw(text: str, respond: Respond, actor: Actor, services: UseCases) -> None:
    """Run the command as ``actor`` and post its reply on the response_url."""
    send_reply(respond, dispatch(text, CommandContext(actor, services)))


def register(app: App, answering: Answering) -> None:
    """Wire ``handle_fw`` to the /fw command."""

    def on_fw(ack: Ack, command: dict[str, Any], respond: Respond, context: BoltContext) -> None:
        handle_fw(ack, command, respond, context, answering)

    app.command(COMMAND)(on_fw)
