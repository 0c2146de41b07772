"""The one global error handler: every failure ends as a short ephemeral answer.

``FwbotError`` is the user's mistake or a known condition: show its text.
Anything else is ours: log it with a short reference and show only the
reference, never a traceback. Errors before the ack (bolt's middleware) are
answered in the ack itself; errors after it go by ``response_url``, or by
``chat.postEphemeral`` when the request has none.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse

from bot.errors import FwbotError

logger = logging.getLogger(__name__)

INTERNAL_ERROR = (
    "Something went wrong on our side (ref `{ref}`). "
    "Try again in a minute; if it keeps happening, give your fwbot admin that ref."
)


def new_ref() -> str:
    """A short correlation id that appears in the log line and in Slack."""
    return secrets.token_hex(3)


def error_text(error: BaseException, *, context: BoltContext | None = None) -> str:
    """The user-facing sentence for ``error``; unexpected errors are logged with a ref."""
    if isinstance(error, FwbotError):
        logger.info("%s for user %s: %s", type(error).__name__, context and context.user_id, error)
        return error.user_text()
    ref = new_ref()
    user = context.user_id if context is not None else None
    logger.exception("unhandled error ref=%s user=%s: %s", ref, user, error, exc_info=error)
    return INTERNAL_ERROR.format(ref=ref)


def handle_error(
    error: Exception,
    request: BoltRequest,
    response: BoltResponse | None,
) -> BoltResponse | None:
    """bolt's ``@app.error``: answer in the ack if not yet acked, else out of band."""
    context = request.context
    text = error_text(error, context=context)
    if response is not None and context.ack.response is None:
        # Not acked yet (bolt's middleware failed): the answer rides on the ack.
        return BoltResponse(
            status=200,
            body={"response_type": "ephemeral", "text": text},
        )
    _send_late(context, text)
    return None


def report_after_ack(error: Exception, context: BoltContext) -> None:
    """The handler's post-ack path, for listeners that have already acked.

    bolt's thread runner resets ``ack.response`` when a listener raises, and
    if that happens within its 10 ms poll the ack is lost (Slack then shows
    an error). Acked listeners therefore hand their exceptions here instead.
    """
    _send_late(context, error_text(error, context=context))


def _send_late(context: BoltContext, text: str) -> None:
    """After the ack: prefer ``response_url``; fall back to an ephemeral chat message."""
    if context.response_url and context.respond is not None:
        try:
            result: Any = context.respond(
                text=text, response_type="ephemeral", replace_original=False
            )
            if getattr(result, "status_code", 200) < 400:
                return
            logger.warning("response_url post failed (%s)", result.status_code)
        except Exception:
            logger.exception("response_url post failed")
    if context.client is None or not context.channel_id or not context.user_id:
        logger.warning("no way to tell the user about an error: %s", text)
        return
    try:
        context.client.chat_postEphemeral(
            channel=context.channel_id, user=context.user_id, text=text
        )
    except Exception:
        logger.exception("could not deliver an error message to the user: %s", text)


def register(app: App) -> None:
    app.error(handle_error)
