"""The log of a real `fwbot serve` process in production form (``FWBOT_LOG_FORMAT=json``,
at DEBUG, the most it ever writes): one JSON object per line; the confirm of a launch has
one request id, found on its Flywheel calls and its Slack posts in other threads; no
secret anywhere; APScheduler's per-run lines absent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.polling import eventually
from doubles.fwbot_process import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FwbotProcess,
    answer_text,
    button_batches,
    fwbot_env,
)
from doubles.mock_slack import MockSlack
from localfw.demo_world import DEMO_ADMIN, DEMO_BOT, DEMO_SECOND_PROJECT, build_demo_world
from localfw.server import LocalFlywheel
from localfw.simulator import SimClock

ADMIN = "U0ADMIN"  # admin on grmpy_dwi (tests/e2e/conftest.py)
API_KEY = "logs-test-key-SECRET"


def entries(bot: FwbotProcess) -> list[dict[str, Any]]:
    return [json.loads(line) for line in bot.log().splitlines() if line.strip()]


def test_a_command_is_one_request_id_across_threads_flywheel_and_slack_in_json_logs(
    mock_slack: MockSlack, tmp_path: Path
) -> None:
    lf = LocalFlywheel(build_demo_world(), api_key=API_KEY, user=DEMO_BOT, clock=SimClock())
    lf.start()
    env = fwbot_env(
        mock_slack,
        flywheel_api_key=lf.sdk_api_key,
        data_dir=tmp_path / "data",
        log_level="DEBUG",
        log_format="json",
        watch_interval="2",
    )
    bot = FwbotProcess(env, tmp_path / "bot", mock_slack, flywheel=lf).start()
    try:
        bot.wait_ready()
        plan = bot.ask(f"launch qsiprep-hpc project={DEMO_SECOND_PROJECT}", ADMIN)
        batch_id = button_batches(plan).get("fw_confirm")
        assert batch_id, answer_text(plan)
        bot.ask(f"confirm {batch_id}", ADMIN)
        eventually(lambda: mock_slack.calls("chat.postMessage"), what="the batch message")

        def confirm_done() -> list[dict[str, Any]]:
            logged = entries(bot)  # every line parses: nothing but JSON in the log
            ids = {e["request_id"] for e in logged if e["message"].startswith("/fw confirm")}
            (request_id,) = ids or {None}
            if request_id is None:
                return []
            mine = [e for e in logged if e["request_id"] == request_id]
            posted = any(e.get("slack_call") == "chat.postMessage" for e in mine)
            launched = any(e.get("flywheel_call") == "add_session_analysis" for e in mine)
            return mine if posted and launched else []

        mine = eventually(confirm_done, what="the confirm's Flywheel calls and Slack post")
        threads = {e["thread"] for e in mine}
        assert any(t.startswith("fwbot-answer") for t in threads)  # the answer
        assert any(t.startswith(("fwbot-work", "fwbot-launch")) for t in threads)  # the launch
        assert any(e["message"].startswith("/fw confirm answered in ") for e in mine)

        logged = entries(bot)
        plan_ids = {e["request_id"] for e in logged if e["message"].startswith("/fw launch from")}
        assert len(plan_ids) == 1 and plan_ids.isdisjoint({mine[0]["request_id"]})
        eventually(  # a watcher pass has an id of its own, on its Flywheel calls too
            lambda: any(
                e["request_id"].startswith("watch-") and "flywheel_call" in e for e in entries(bot)
            ),
            what="a watcher pass",
        )
        assert not [e for e in logged if e["logger"].startswith("apscheduler")]
        text = bot.log()
        for secret in (BOT_TOKEN, SIGNING_SECRET, "logs-test-key-SECRET", "SECRET"):
            assert secret not in text
        # the admin's linked key did every call of the launch: never written, at DEBUG
        linked_key = lf.sdk_key_for(DEMO_ADMIN).rsplit(":", 1)[1]
        assert "add_session_analysis" in text and linked_key not in text
        assert env["FWBOT_LINK_ENCRYPTION_KEYS"] not in text
    finally:
        bot.stop()
        lf.stop()
