"""fwbot's logs: JSON lines or readable lines, the request id on every line of a command
whichever thread wrote it, and no secret ever written (``bot.observe.logs``). Each test
sets up logging on its own stream; ``tests/conftest.py`` puts pytest's handlers back."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bench.polling import PATIENCE
from bot.observe.context import ContextThreadPool, request_scope
from bot.observe.logs import REDACTED, resolve_format, setup_logging
from bot.service.workers import WorkerPool
from bot.settings import load_settings

BOT_TOKEN = "xoxb-1111-2222-abcdefSECRET"
FLYWHEEL_KEY = "flywheel.example.org:8443:__force_insecure:fwkeySECRET42"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def lines_of(stream: io.StringIO) -> list[str]:
    return [line for line in stream.getvalue().splitlines() if line]


def test_json_lines_carry_level_logger_message_request_id_and_extra_fields() -> None:
    out = io.StringIO()
    setup_logging("INFO", "json", stream=out)
    log = logging.getLogger("bot.tests.logs")
    with request_scope("req-abc123"):
        log.info("launched %d of %d", 3, 4, extra={"batch": "b7k2q"})
    log.debug("not at INFO")

    (line,) = lines_of(out)
    entry = json.loads(line)
    assert entry["level"] == "INFO" and entry["logger"] == "bot.tests.logs"
    assert entry["message"] == "launched 3 of 4"
    assert entry["request_id"] == "req-abc123" and entry["batch"] == "b7k2q"
    assert entry["ts"].endswith("+00:00")


def test_json_lines_hold_the_traceback_as_one_field() -> None:
    out = io.StringIO()
    setup_logging("INFO", "json", stream=out)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("bot.tests.logs").exception("it failed")
    (line,) = lines_of(out)  # one line, however long the traceback
    entry = json.loads(line)
    assert entry["message"] == "it failed"
    assert "Traceback" in entry["exc"] and "ValueError: boom" in entry["exc"]


def test_console_lines_are_readable_and_show_the_request_id_only_within_one() -> None:
    out = io.StringIO()
    setup_logging("INFO", "console", stream=out)
    log = logging.getLogger("bot.startup")
    log.warning("not ready")
    with request_scope("req-42"):
        log.info("answered")
    first, second = lines_of(out)
    assert " WARNING bot.startup: not ready" in first
    assert " INFO [req-42] bot.startup: answered" in second


def test_auto_is_console_on_a_terminal_and_json_elsewhere() -> None:
    assert resolve_format("auto", _Tty()) == "console"
    assert resolve_format("auto", io.StringIO()) == "json"  # a container's log file or pipe
    assert resolve_format("json", _Tty()) == "json"


def test_secrets_never_reach_the_log_whoever_logs_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FWBOT_SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("FWBOT_FLYWHEEL_API_KEY", FLYWHEEL_KEY)
    monkeypatch.setenv("FWBOT_SLACK_SIGNING_SECRET", "signing-SECRET-9876")
    settings = load_settings(_env_file=None)
    out = io.StringIO()
    setup_logging("DEBUG", "json", secrets=settings.secret_values(), stream=out)
    lib = logging.getLogger("slack_sdk.web.base_client")  # a library, not fwbot
    lib.debug("headers: %s", {"Authorization": f"Bearer {BOT_TOKEN}"})
    logging.getLogger("flywheel").debug("Authorization: scitran-user fwkeySECRET42")
    logging.getLogger("bot.tests.logs").info("key %s", FLYWHEEL_KEY, extra={"echo": FLYWHEEL_KEY})
    logging.getLogger("bot.tests.logs").info("signature over signing-SECRET-9876")
    logging.getLogger("bot.tests.logs").info("an app token xapp-1-A0123-456-abcdef in passing")
    db_url = "postgresql://fwbot:" + "hunter2pw" + "@db:5432/fwbot"  # no URL in this file
    logging.getLogger("bot.tests.logs").info("db %s", db_url)
    try:
        raise RuntimeError(f"bad token {BOT_TOKEN}")
    except RuntimeError:
        logging.getLogger("bot.tests.logs").exception("call failed")

    text = out.getvalue()
    for secret in ("SECRET", "hunter2pw", "xapp-1-A0123"):
        assert secret not in text
    entries = [json.loads(line) for line in lines_of(out)]
    assert len(entries) == 7
    assert all(REDACTED in e["message"] or REDACTED in e.get("exc", "") for e in entries)
    assert "postgresql://fwbot:" + REDACTED + "@db:5432/fwbot" in text  # names the database


def test_library_chatter_is_kept_at_warning() -> None:
    out = io.StringIO()
    setup_logging("INFO", "json", stream=out)
    logging.getLogger("apscheduler.executors.default").info('Running job "batch-watcher"')
    logging.getLogger("sqlalchemy.engine").info("SELECT 1")
    logging.getLogger("apscheduler.scheduler").warning("job missed")
    assert [json.loads(line)["message"] for line in lines_of(out)] == ["job missed"]


def test_the_request_id_follows_work_into_the_worker_pool_and_its_fan_out() -> None:
    out = io.StringIO()
    setup_logging("INFO", "json", stream=out)
    log = logging.getLogger("bot.tests.logs")
    workers = WorkerPool(threads=2)

    def launch() -> None:
        log.info("launch starts")
        with ContextThreadPool(3) as pool:
            list(pool.map(lambda i: log.info("job %d", i), range(3)))

    try:
        with request_scope("req-confirm1"):
            workers.submit("launch", launch)
        workers.submit("by the bot itself", lambda: log.info("on its own"))
        workers.wait_idle(PATIENCE)
    finally:
        workers.shutdown()

    entries = [json.loads(line) for line in lines_of(out)]
    ids = {e["message"]: e["request_id"] for e in entries}
    assert {ids[m] for m in ("launch starts", "job 0", "job 1", "job 2")} == {"req-confirm1"}
    assert ids["on its own"].startswith("task-")  # its own id, not the last command's
    threads = {e["thread"] for e in entries if e["request_id"] == "req-confirm1"}
    assert len(threads) >= 2  # the id crossed threads
