"""The Slack side of linked accounts: the `/fw link` modal's views, reading the pasted key
back out of a submission, and the direct message a dropped link sends its owner.

Every view here is built from fixed text and what ``commands.render.accounts`` renders:
none of them ever holds the key (the input's value lives only in Slack's form state and
in the ``view_submission`` payload, which ``pasted_key`` reads and nothing logs).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain import UserRef
from commands.render import accounts as render
from commands.render.blocks import context, escape, section

log = logging.getLogger(__name__)

View = dict[str, Any]

CALLBACK_ID = "fw_link"  # the modal's callback_id: its view_submission comes back with it
KEY_BLOCK = "fw_link_key"
KEY_ACTION = "api_key"
KEY_MAX_LENGTH = 500  # Flywheel keys are far shorter; a paste of a whole page is refused

TITLE = "Link Flywheel"
KEY_LABEL = "Your Flywheel API key"
KEY_HINT = (
    "In Flywheel: your profile (top right) → API Keys; copy a key or generate one. "
    "fwbot checks it with Flywheel, stores it encrypted and never shows it."
)
CHECKING = "Checking your key with Flywheel…"
AGAIN = "Run `/fw link` again to try another key."
BUSY_VIEW = (
    "fwbot is busy answering other commands right now; your key was not checked or kept. "
    "Run `/fw link` again in a minute."
)
EXPIRED = "Slack's form expired before fwbot could open it (fwbot was busy); run `/fw link` again."
SHARED_MODE = (
    "This lab runs fwbot with one shared Flywheel account: there is nothing to link; "
    "fwbot finds you by your Slack email."
)
NOT_SET_UP = (
    "Linked accounts are not set up on this fwbot; a fwbot admin sets "
    "FWBOT_LINK_ENCRYPTION_KEYS (see docs/permissions.md)."
)
DROPPED = (
    "Your linked Flywheel key stopped working (Flywheel refused it), so fwbot forgot it. "
    "Link again with `/fw link`."
)


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _modal(blocks: list[dict[str, Any]], *, submit: str | None = None) -> View:
    view: View = {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": _plain(TITLE),
        "close": _plain("Cancel" if submit else "Close"),
        "blocks": blocks,
    }
    if submit:
        view["submit"] = _plain(submit)
    return view


def link_modal() -> View:
    """The form `/fw link` opens: one key input, submitted with "Link"."""
    return _modal(
        [
            {
                "type": "input",
                "block_id": KEY_BLOCK,
                "label": _plain(KEY_LABEL),
                "hint": _plain(KEY_HINT),
                "element": {
                    "type": "plain_text_input",
                    "action_id": KEY_ACTION,
                    "placeholder": _plain("site.flywheel.io:…"),
                    "max_length": KEY_MAX_LENGTH,
                },
            }
        ],
        submit="Link",
    )


def checking_view() -> View:
    """What the submission's ack shows while Flywheel checks the key."""
    return _modal([section(escape(CHECKING))])


def linked_view(user: UserRef, site: str) -> View:
    """The outcome of a key Flywheel accepted: ``render.linked``'s answer."""
    return _modal(list(render.linked(user, site).blocks))


def refused_view(text: str) -> View:
    """The outcome of a key that was not linked: the error's text, and how to try again."""
    blocks = [section(escape(text))]
    if "/fw link" not in text:
        blocks.append(context(AGAIN))
    return _modal(blocks)


def busy_view() -> View:
    return _modal([section(escape(BUSY_VIEW))])


def not_enabled_text(mode: str) -> str:
    """Why `/fw link` opens no form here (linking is off)."""
    return SHARED_MODE if mode == "shared" else NOT_SET_UP


def pasted_key(view: dict[str, Any]) -> str:
    """The key from a submitted ``link_modal``, whitespace stripped ("" if absent)."""
    values = ((view.get("state") or {}).get("values") or {}).get(KEY_BLOCK) or {}
    value = (values.get(KEY_ACTION) or {}).get("value")
    return value.strip() if isinstance(value, str) else ""


def view_text(view: View) -> str:
    """A view's visible text (its blocks' texts), for the direct-message fallback."""
    texts: list[str] = []
    for block in view.get("blocks") or []:
        if isinstance(block.get("text"), dict):
            texts.append(str(block["text"].get("text") or ""))
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("text"):
                texts.append(str(element["text"]))
    return "\n".join(t for t in texts if t)


class DroppedLink(Protocol):
    """What a dropped link tells the Slack side (``LinkedAccount`` has it)."""

    @property
    def principal(self) -> str: ...


def tell_dropped_link(client: WebClient) -> Callable[[DroppedLink], None]:
    """``Accounts.on_dropped`` for Slack: one direct message (``chat.postMessage`` to the
    owner's user id) telling a Slack user their link was forgotten; console links are
    left alone. A failed post is logged, never raised into the work that found the 401."""

    def tell(account: DroppedLink) -> None:
        principal = account.principal
        if not principal.startswith("slack:"):
            return
        user_id = principal.removeprefix("slack:")
        if not user_id:
            return
        try:
            client.chat_postMessage(channel=user_id, text=DROPPED, blocks=[section(DROPPED)])
        except SlackApiError as err:
            code = err.response.get("error", "") if err.response is not None else ""
            log.warning("could not tell %s their link was dropped: %s", user_id, code or "error")
            return
        log.info("told %s their linked key was dropped", user_id)

    return tell
