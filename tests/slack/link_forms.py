"""Signed requests for the `/fw link` form: the slash command (with a fresh ``trigger_id``)
and the modal's ``view_submission``, as Slack posts them; shared by tests/slack and e2e."""

from __future__ import annotations

import itertools
import json
from typing import Any

from bench.polling import eventually
from bot.slack.linking import CALLBACK_ID, KEY_ACTION, KEY_BLOCK
from doubles.mock_slack import ApiCall, MockSlack
from doubles.signing import TEAM_ID, HttpResult, post_form, slash_command_form
from tests.fixtures.slack import DEFAULT_CHANNEL_ID, DEFAULT_USER_ID, SIGNING_SECRET

_triggers = itertools.count(1)


def view_of(call: ApiCall) -> dict[str, Any]:
    """The ``view`` argument of a recorded ``views.*`` call, as a dict."""
    view = call.args["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


def seen(call: ApiCall) -> str:
    """Everything a recorded call carried, as one string (to look for a key in)."""
    return json.dumps({"method": call.method, "args": call.args}, default=str)


def post_link_command(
    url: str,
    mock: MockSlack,
    text: str = "link",
    *,
    user_id: str = DEFAULT_USER_ID,
    trigger_id: str | None = None,
    token: str | None = None,
) -> tuple[HttpResult, str, str]:
    """A signed `/fw <text>`; returns (the ack, its trigger_id, its response_url token)."""
    n = next(_triggers)
    trigger = trigger_id if trigger_id is not None else f"{1000 + n}.5678.link{n:04d}"
    token = token or f"link{n}"
    form = slash_command_form(
        text,
        response_url=mock.response_url(token),
        user_id=user_id,
        channel_id=DEFAULT_CHANNEL_ID,
        trigger_id=trigger,
    )
    return post_form(url, form, SIGNING_SECRET), trigger, token


def opened_view(mock: MockSlack, trigger_id: str) -> tuple[str, ApiCall]:
    """Wait for the ``views.open`` made with ``trigger_id``; returns (view id, the call)."""
    [call] = eventually(
        lambda: [c for c in mock.calls("views.open") if c.args.get("trigger_id") == trigger_id],
        f"views.open with trigger_id {trigger_id}",
    )
    wanted = view_of(call)
    ids = eventually(
        lambda: [vid for vid, v in mock.views().items() if v.get("blocks") == wanted["blocks"]],
        "the opened view's id",
    )
    return ids[-1], call


def view_submission_form(
    view_id: str, key: str | None, *, user_id: str = DEFAULT_USER_ID
) -> dict[str, str]:
    """The form Slack posts when the key modal is submitted (``payload=<json>``); ``key``
    None leaves the input out of the state, as an untouched optional input would."""
    values: dict[str, Any] = {}
    if key is not None:
        values = {KEY_BLOCK: {KEY_ACTION: {"type": "plain_text_input", "value": key}}}
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "fwbot-test"},
        "user": {
            "id": user_id,
            "username": user_id.lower(),
            "name": user_id.lower(),
            "team_id": TEAM_ID,
        },
        "api_app_id": "A0FWBOT",
        "token": "deprecated-verification-token",
        "trigger_id": f"{2000 + next(_triggers)}.5678.submit",
        "view": {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": "modal",
            "callback_id": CALLBACK_ID,
            "private_metadata": "",
            "title": {"type": "plain_text", "text": "Link Flywheel"},
            "blocks": [],
            "state": {"values": values},
            "hash": "1700000000.abcdef12",
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": "A0FWBOT",
            "bot_id": "B0FWBOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
    }
    return {"payload": json.dumps(payload)}


def submit_key(
    url: str, view_id: str, key: str | None, *, user_id: str = DEFAULT_USER_ID
) -> HttpResult:
    return post_form(url, view_submission_form(view_id, key, user_id=user_id), SIGNING_SECRET)


def updated_view(mock: MockSlack, view_id: str) -> dict[str, Any]:
    """Wait for the ``views.update`` of ``view_id``; returns the view it showed."""
    [call] = eventually(
        lambda: [c for c in mock.calls("views.update") if c.args.get("view_id") == view_id],
        f"views.update of {view_id}",
    )
    return view_of(call)
