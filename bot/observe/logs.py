"""fwbot's log set-up: JSON lines in production, readable lines in a terminal.

- **Format** (``FWBOT_LOG_FORMAT``): ``json`` writes one JSON object per line (``ts``,
  ``level``, ``logger``, ``message``, ``request_id``, ``thread``, the ``extra`` fields of
  the call, and ``exc`` with the traceback text), what log shippers (Loki, CloudWatch,
  Stackdriver) index; ``console`` writes ``time LEVEL [request id] logger: message``
  (no brackets for lines outside any command, such as start-up);
  ``auto`` (the default) picks ``console`` when stderr is a terminal, else ``json``, so a
  container logs JSON and a person at a shell reads plain lines.
- **Request id:** every record carries the id of the command or scheduler pass it
  belongs to (``bot.observe.context``), whichever thread wrote it.
- **Secrets are never written:** the values of the secret settings (Slack tokens and
  signing secret, the Flywheel API key, a database password) and anything shaped like a
  Slack token are replaced by ``[secret]`` in every record, message and traceback alike,
  whatever library logged it.
- **Library noise:** APScheduler, bolt and the HTTP clients log at WARNING and above
  unless ``FWBOT_LOG_LEVEL=DEBUG`` asks for everything (SQLAlchemy and httpcore stay at
  WARNING: their DEBUG lines are result rows and a dozen lines per HTTP request).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from bot.observe.context import NO_REQUEST, current_request_id

LogFormat = Literal["auto", "json", "console"]
CONSOLE_FORMAT = "%(asctime)s %(levelname)s %(request_tag)s%(name)s: %(message)s"
REDACTED = "[secret]"
# xoxb- (bot), xoxp- (user), xoxa-/xoxr- (refresh), xoxe- (rotating), xapp- (app-level)
SLACK_TOKEN = re.compile(r"\b(?:xox[abeoprs]|xapp)-[A-Za-z0-9-]{6,}")
# A password in a database URL: postgresql://user:PASSWORD@host/db
URL_PASSWORD = re.compile(r"(?<=://)([^:/@\s]+):([^@/\s]+)@")
QUIET_LIBRARIES = (
    "apscheduler",
    "slack_bolt",
    "slack_sdk",
    "urllib3",
    "httpx",
    "httpx2",
    "flywheel",
)
# WARNING whatever the level: SQL result rows; a dozen lines per HTTP request.
ALWAYS_QUIET = ("sqlalchemy", "alembic", "httpcore", "httpcore2")
# Attributes every LogRecord has: anything else on a record came from ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "request_tag",
}


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id (``-`` outside any command)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


_runtime_secrets: set[str] = set()
_runtime_lock = threading.Lock()


def remember_secret(value: str) -> None:
    """A secret met at run time (a person's linked API key, whole and its key part):
    redacted from every record from now on, like the settings' own secrets."""
    parts = {value, value.rsplit(":", 1)[-1]}
    with _runtime_lock:
        _runtime_secrets.update(p for p in parts if len(p) >= 6)


class RedactSecrets(logging.Filter):
    """Replaces known secret values and token-shaped strings in the rendered message and
    the traceback; the record's ``args`` are folded into its message first."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a key containing a shorter secret is replaced whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        if _runtime_secrets:
            with _runtime_lock:
                met = sorted(_runtime_secrets, key=len, reverse=True)
            for secret in met:
                if secret in text:
                    text = text.replace(secret, REDACTED)
        text = SLACK_TOKEN.sub(REDACTED, text)
        return URL_PASSWORD.sub(rf"\1:{REDACTED}@", text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is
            message = str(record.msg)
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
            record.exc_info = None  # the redacted text is what gets written
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, self.redact(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; ``extra=`` fields become keys of their own."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", current_request_id()),
            "thread": record.threadName,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class ConsoleFormatter(logging.Formatter):
    """Readable lines; the request id in brackets when the line belongs to one."""

    def __init__(self) -> None:
        super().__init__(CONSOLE_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", NO_REQUEST)
        record.request_tag = "" if request_id == NO_REQUEST else f"[{request_id}] "
        return super().format(record)


def resolve_format(wanted: LogFormat, stream: TextIO) -> Literal["json", "console"]:
    if wanted != "auto":
        return wanted
    isatty = getattr(stream, "isatty", None)
    return "console" if callable(isatty) and isatty() else "json"


def setup_logging(
    level: str = "INFO",
    fmt: LogFormat = "auto",
    *,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> logging.Handler:
    """Replace the root logger's handlers with one that stamps, redacts and formats;
    returns that handler. Call once, at start, before anything logs."""
    stream = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactSecrets(secrets))
    if resolve_format(fmt, stream) == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(ConsoleFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    numeric = logging.getLevelName(level.upper())
    root.setLevel(numeric if isinstance(numeric, int) else logging.INFO)
    library_level = logging.DEBUG if root.level <= logging.DEBUG else logging.WARNING
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(library_level)
    for name in ALWAYS_QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
