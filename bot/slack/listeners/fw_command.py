"""`/fw`: ack at once, then answer by ``response_url`` with what ``commands`` rendered.

The listener acks with nothing done (no Slack, Flywheel or database call before it), so
Slack's 3 s budget never depends on them; who is asking, the permission checks and the
answer run in fwbot's answer pool (``bot.slack.answers``), which says "busy" rather than
drop a command when full. `/fw link` is the exception: it opens a form and needs no
actor, so it is handed to ``bot.slack.listeners.link`` first. User errors come back from
``dispatch`` as a ``Reply``; anything unexpected goes to the global error handler's
post-ack path (see ``errors.report_after_ack`` for why it is called directly).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain import Actor
from bot.service import UseCases
from bot.service.notify import ChannelGone
from bot.slack import metering
from bot.slack.answers import Answering
from bot.slack.listeners.link import open_link_form, wants_link_form
from bot.slack.posting import SlackPoster
from commands.context import CommandContext
from commands.dispatch import dispatch
from commands.render.message import with_note
from commands.reply import Reply

logger = logging.getLogger(__name__)

COMMAND = "/fw"


def send_reply(
    respond: Respond,
    reply: Reply,
    *,
    client: WebClient | None = None,
    user_id: str | None = None,
) -> None:
    """Post a ``Reply`` to the command's ``response_url``; its files (a CSV) first go to
    the user privately (``share_privately``), and the reply says where.

    If Slack refuses the blocks, the text alone is sent instead: a plainer
    answer beats silence.
    """
    if reply.files:
        reply = share_privately(client, user_id, reply)
    response_type = "ephemeral" if reply.ephemeral else "in_channel"
    result: Any = respond(
        text=reply.text,
        blocks=reply.blocks or None,
        response_type=response_type,
        replace_original=False,
    )
    if _ok(result):
        logger.debug("reply posted to the response_url (%s)", response_type)
        return
    if not reply.blocks:
        logger.warning("response_url post failed: %s", _why(result))
        return
    logger.warning("Slack refused a reply's blocks (%s); sending its text only", _why(result))
    result = respond(text=reply.text, response_type=response_type, replace_original=False)
    if not _ok(result):
        logger.warning("response_url post failed: %s", _why(result))


def share_privately(client: WebClient | None, user_id: str | None, reply: Reply) -> Reply:
    """Share the reply's files in the user's direct messages with fwbot (only they see
    them, whichever channel the command was typed in): ``conversations.open`` with the
    user, then ``files_upload_v2`` there. The reply gains a line saying where they went,
    or why they did not."""
    names = ", ".join(f"`{f.name}`" for f in reply.files)
    if client is None or not user_id:
        return with_note(reply, f"{names} could not be sent: fwbot does not know who asked.")
    try:
        opened = client.conversations_open(users=user_id)
        dm = str((opened.get("channel") or {}).get("id") or "")
    except SlackApiError as err:
        code = err.response.get("error", "") if err.response is not None else ""
        logger.warning("conversations.open with %s failed: %s", user_id, code or err)
        dm = ""
    if not dm:
        return with_note(
            reply, f"{names} could not be sent: Slack would not open a direct message with you."
        )
    poster = SlackPoster(client)
    sent: list[str] = []
    for file in reply.files:
        try:
            if poster.share_file(dm, file.name, file.content, title=file.title or file.name):
                sent.append(f"`{file.name}`")
        except ChannelGone as gone:
            logger.warning("sharing %s with %s failed: %s", file.name, user_id, gone)
    if len(sent) < len(reply.files):
        return with_note(reply, f"{names} could not be sent to your direct messages; try again.")
    return with_note(reply, f"{names} sent to you in a direct message from fwbot.")


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
    in the pool. `/fw link` needs no actor (an unlinked person may not be one yet): it
    goes to ``listeners.link`` before any identity lookup."""
    ack()
    text = command_text(command.get("text") or "")
    if wants_link_form(text):
        open_link_form(command, respond, context, answering)
        return
    label = metering.command_label(text)

    def answer(actor: Actor) -> None:
        reply = answer_fw(text, respond, actor, answering.services, context.client)
        metering.count_reply(label, reply)

    answering.answer_later(
        f"/fw {text.split(' ', 1)[0][:20]}", context, respond, answer, command=label
    )


def answer_fw(
    text: str,
    respond: Respond,
    actor: Actor,
    services: UseCases,
    client: WebClient | None = None,
) -> Reply:
    """Run the command as ``actor`` and post its reply on the response_url (its files
    to the actor's direct messages, through ``client``); returns the reply."""
    reply = dispatch(text, CommandContext(actor, services))
    send_reply(respond, reply, client=client, user_id=actor.slack_user_id)
    return reply


def register(app: App, answering: Answering) -> None:
    """Wire ``handle_fw`` to the /fw command."""

    def on_fw(ack: Ack, command: dict[str, Any], respond: Respond, context: BoltContext) -> None:
        handle_fw(ack, command, respond, context, answering)

    app.command(COMMAND)(on_fw)
