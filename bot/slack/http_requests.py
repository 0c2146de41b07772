"""A Slack HTTP request checked before bolt sees it: bounded, well-formed, signed in time.

bolt reads the whole body before checking its signature, answers a non-numeric
timestamp with 200 and invalid UTF-8 with a 500, and reads any form body containing the
text ``payload`` (a command like `/fw gear payload`, a channel named #payload-tests) as
an interactive payload, answering 404. Here: the size is checked on Content-Length
before anything is read (413), the timestamp must be a number (401), the body must be
UTF-8 (400), and a form body is parsed as the form it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import BoltRequest
from slack_bolt.context import BoltContext
from slack_bolt.request.internals import build_context

MAX_BODY_BYTES = 1_000_000  # Slack's largest requests (block_actions with blocks) are far smaller
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Refusal:
    status: str  # WSGI status line
    body: str


TOO_LARGE = Refusal("413 Payload Too Large", "request body too large")
BAD_LENGTH = Refusal("400 Bad Request", "bad Content-Length")
NOT_UTF8 = Refusal("400 Bad Request", "request body is not UTF-8")
BAD_TIMESTAMP = Refusal("401 Unauthorized", "invalid request")


def read_body(environ: dict[str, Any], limit: int = MAX_BODY_BYTES) -> str | Refusal:
    """The body as text, or why it is refused; never reads more than ``limit`` bytes."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return BAD_LENGTH
    if length < 0:
        return BAD_LENGTH
    if length > limit:
        return TOO_LARGE
    raw = environ["wsgi.input"].read(length) if length else b""
    try:
        return str(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return NOT_UTF8


def check_timestamp(environ: dict[str, Any]) -> Refusal | None:
    """A missing or non-numeric timestamp can carry no valid signature: 401 at once."""
    value = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "")
    return None if value.isdigit() else BAD_TIMESTAMP


def bolt_request(environ: dict[str, Any], body: str) -> BoltRequest:
    """bolt's request for this body, parsed as what it is: a form body's fields stay
    fields unless the form really has a ``payload`` field (a button click)."""
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    request = BoltRequest(body=body, query=environ.get("QUERY_STRING", ""), headers=headers)
    if (request.content_type or "").startswith(FORM) and not body.lstrip().startswith("{"):
        fields = dict(parse_qsl(body, keep_blank_values=True))
        parsed = json.loads(fields["payload"]) if "payload" in fields else fields
        if parsed != request.body:  # bolt guessed from the text "payload" alone
            request.body = parsed
            request.context = build_context(BoltContext({}), parsed)
    return request
