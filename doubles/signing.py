"""Build slash-command and button-click requests exactly as Slack signs them (v0 HMAC-SHA256)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from slack_sdk.signature import SignatureVerifier

from bench.polling import PATIENCE

TEAM_ID = "T0FWBOT"


def slash_command_form(
    text: str,
    *,
    response_url: str,
    user_id: str = "U0ALICE",
    channel_id: str = "C0LAB",
    command: str = "/fw",
    trigger_id: str = "1234.5678.abcd",
) -> dict[str, str]:
    """The form fields Slack posts for a slash command."""
    return {
        "token": "deprecated-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "fwbot-test",
        "channel_id": channel_id,
        "channel_name": "lab",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A0FWBOT",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def block_actions_form(
    action_id: str,
    value: str,
    *,
    response_url: str,
    user_id: str = "U0ALICE",
    channel_id: str = "C0LAB",
    block_id: str = "actions",
    message_ts: str = "1700000000.000100",
    is_ephemeral: bool = True,
    trigger_id: str = "1234.5678.efgh",
) -> dict[str, str]:
    """The form Slack posts when a button is clicked: one field, ``payload=<json>``."""
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "fwbot-test"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID},
        "api_app_id": "A0FWBOT",
        "token": "deprecated-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        },
        "trigger_id": trigger_id,
        "channel": {"id": channel_id, "name": "lab"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "text": {"type": "plain_text", "text": action_id},
                "action_ts": f"{int(time.time())}.000200",
            }
        ],
    }
    if not is_ephemeral:
        payload["message"] = {"type": "message", "ts": message_ts, "text": "", "blocks": []}
    return {"payload": json.dumps(payload)}


def signed_headers(body: str, secret: str, *, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature or "",
    }


@dataclass(frozen=True)
class HttpResult:
    status: int
    body: str
    headers: dict[str, str]


def post_form(
    url: str,
    form: dict[str, Any],
    secret: str,
    *,
    timestamp: int | None = None,
    tamper: bool = False,
) -> HttpResult:
    """POST ``form`` signed with ``secret``; ``tamper`` changes the body after signing."""
    body = urlencode(form)
    headers = signed_headers(body, secret, timestamp=timestamp)
    if tamper:
        body += "&text=tampered"
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=PATIENCE) as resp:
            return HttpResult(resp.status, resp.read().decode(), dict(resp.headers))
    except urllib.error.HTTPError as err:
        return HttpResult(err.code, err.read().decode(), dict(err.headers))


PAYLOADS = Path(__file__).parent / "payloads"


def captured_form(name: str, *, response_url: str) -> dict[str, str]:
    """A saved slash-command body, with its response_url pointed at the mock."""
    form = dict(parse_qsl((PAYLOADS / name).read_text().strip(), keep_blank_values=True))
    form["response_url"] = response_url
    return form


def captured_envelope(name: str, *, response_url: str) -> dict[str, Any]:
    """A saved Socket Mode envelope, with its response_url pointed at the mock."""
    envelope: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    envelope["payload"]["response_url"] = response_url
    return envelope
