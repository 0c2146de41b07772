"""The Slack adapter's metrics: commands by name and outcome, and every Web API call's
errors and 429s (``bot.observe.metrics`` defines them).

**Commands.** ``command_label`` names a /fw command by its subcommand (an alias by its
command, anything unknown ``other``), a click by its button's ``action_id``; so the label
values are the registry's commands and ``ButtonAction``'s values, nothing typed. The
outcome is known in three places: the reply (``reply_outcome``: ``ok``, or the kind of
error the reply stands for), an exception after the ack (``error_outcome``), and a full
answer pool (``busy``).

**Slack Web API.** ``SlackApiMeter`` is a slack_sdk retry handler that never retries: the
client shows it every attempt of every call (an answer, an HTTP error, a dropped
connection), retries included, before the real retry handlers decide. It is the first
of the bot client's ``retry_handlers``, and bolt copies those handlers into the client
it makes for each request, so bolt's own calls (``auth.test``, ``users.info`` through the
identity lookup, ``chat.postEphemeral``) are counted with fwbot's posts. A 429 counts as
rate limited; an answer with ``ok: false`` as an error with Slack's code; an HTTP error as
``http_<status>``; no answer as ``connection``. Posts to a ``response_url`` are not Web API
calls and are not counted. The meter also remembers when a call last succeeded, which the
Slack readiness probe uses instead of calling ``auth.test`` again.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler, RetryState
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse

from bot.errors import FlywheelUnavailable, FwbotError, IdentityError, PermissionDenied
from bot.observe import metrics
from commands.buttons import ButtonAction
from commands.registry import REGISTRY
from commands.reply import Reply

METHOD = re.compile(r"^[a-z]+(?:\.[A-Za-z]+)+$")  # chat.postMessage, files.getUploadURLExternal
ERROR_CODE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")  # not_in_channel, ratelimited, ...
CLICKS = frozenset(a.value for a in ButtonAction)
OTHER = metrics.OTHER


def command_label(text: str) -> str:
    """The /fw command ``text`` runs (``help`` for none), else ``other``."""
    words = text.split()
    if not words:
        return "help"
    spec = REGISTRY.grammar.find(words[0])
    return spec.name if spec is not None else metrics.OTHER


def click_label(action_id: str) -> str:
    """The button's ``action_id`` when it is one of fwbot's, else ``other``."""
    return action_id if action_id in CLICKS else metrics.OTHER


def error_outcome(error: BaseException | type[BaseException]) -> str:
    """The outcome an exception (or its class) stands for, in a reply or raised after the
    ack: ``denied``, ``unavailable``, ``user_error`` (any other ``FwbotError``) or ``error``."""
    kind = error if isinstance(error, type) else type(error)
    if issubclass(kind, PermissionDenied | IdentityError):
        return metrics.DENIED
    if issubclass(kind, FlywheelUnavailable):
        return metrics.UNAVAILABLE
    if issubclass(kind, FwbotError):
        return metrics.USER_ERROR
    return metrics.ERROR


def reply_outcome(reply: Reply) -> str:
    """``ok``, or the outcome of the error the reply reports."""
    if not reply.error:
        return metrics.OK
    return error_outcome(reply.cause) if reply.cause is not None else metrics.USER_ERROR


def count_reply(command: str, reply: Reply) -> None:
    metrics.count_command(command, reply_outcome(reply))


def count_failure(command: str, error: BaseException) -> None:
    metrics.count_command(command, error_outcome(error))


def count_busy(command: str) -> None:
    metrics.count_command(command, metrics.BUSY)


class SlackApiMeter(RetryHandler):
    """Counts each Web API attempt's failure (never retries: ``can_retry`` is False)."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        super().__init__(max_retry_count=0)
        self._clock = clock
        self._lock = threading.Lock()
        self.last_ok: float | None = None  # clock() of the last call answered ok: true

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        method = method_of(request.url)
        if response is None:
            metrics.slack_error(method, "connection")
        elif response.status_code == 429:
            metrics.slack_rate_limited(method)
        elif response.status_code >= 400:
            metrics.slack_error(method, f"http_{response.status_code}")
        else:
            body = response.body if isinstance(response.body, dict) else {}
            if body.get("ok") is False:
                code = str(body.get("error") or "unknown")
                metrics.slack_error(method, code if ERROR_CODE.match(code) else metrics.OTHER)
            elif body.get("ok") is True:
                with self._lock:
                    self.last_ok = self._clock()
        return False

    def _can_retry(self, **kwargs: Any) -> bool:  # required by RetryHandler; never called
        return False

    def ok_within(self, seconds: float) -> bool:
        """Whether a Web API call succeeded in the last ``seconds``."""
        with self._lock:
            last = self.last_ok
        return last is not None and self._clock() - last < seconds


def method_of(url: str) -> str:
    """``chat.postMessage`` from ``https://slack.com/api/chat.postMessage?x=1``."""
    name = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return name if METHOD.match(name) else metrics.OTHER


def slack_meter(client: WebClient) -> SlackApiMeter | None:
    """The meter among a client's retry handlers, if it has one."""
    return next((h for h in client.retry_handlers if isinstance(h, SlackApiMeter)), None)
