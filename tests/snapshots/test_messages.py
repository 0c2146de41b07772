"""Every message users see often, snapshotted whole: Block Kit, fallback text, console text.

Each case renders one message from the fixed inputs in ``inputs.py`` with the pure
renderers of ``commands/render/`` and compares it with ``<case>.json`` in this folder.
A change to a message fails here with a diff; rewrite the snapshots with
``FWBOT_UPDATE_SNAPSHOTS=1`` (see ``helper.py``) once the change is intended.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, cast

import pytest
from slack_sdk import WebClient

from bot import console
from bot.domain.delivery import Posted, SlackChannel
from bot.slack import errors as slack_errors
from bot.slack.notifier import SlackNotifier
from commands.render import batch as render_batch
from commands.render import summary as render_summary
from commands.render.errors import error_reply
from commands.reply import Reply
from tests.snapshots import inputs
from tests.snapshots.helper import SNAPSHOTS, assert_matches_snapshot

Message = dict[str, Any]


def message(reply: Reply) -> Message:
    """What a user gets: Slack's fallback text and blocks, who sees it, and the console text."""
    return {
        "text": reply.text,
        "ephemeral": reply.ephemeral,
        "error": reply.error,
        "blocks": reply.blocks,
        "console": reply.console_text().split("\n"),
    }


def internal_error(monkeypatch: pytest.MonkeyPatch) -> Message:
    """A bug: Slack's error handler and the console answer with a ref, never a traceback."""
    monkeypatch.setattr(slack_errors, "new_ref", lambda: inputs.INTERNAL_REF)
    fixed = uuid.UUID(inputs.INTERNAL_REF.ljust(32, "0"))
    monkeypatch.setattr(console.uuid, "uuid4", lambda: fixed)
    slack_text = slack_errors.error_text(RuntimeError("boom"))
    # no services at all: the command fails with an AttributeError, a bug of ours
    console_text = console.answer("gears", inputs.CONSOLE_ACTOR, cast(Any, None))
    return {"text": slack_text, "console": console_text.split("\n")}


CASES: dict[str, Callable[[pytest.MonkeyPatch], Message]] = {
    # /fw launch: the plan with its Launch / Cancel buttons, and the dry run
    "launch_plan": lambda _: message(render_batch.ask_to_confirm(inputs.PLAN, inputs.BATCH)),
    "launch_dry_run": lambda _: message(render_batch.preview(inputs.PLAN)),
    # the answer to Launch (or `/fw confirm`), and to Approve
    "launch_confirmed": lambda _: message(render_batch.launching(inputs.LAUNCHING)),
    "launch_approved": lambda _: message(render_batch.launching(inputs.APPROVED, approved=True)),
    # a launch over the policy's limits: Approve / Reject, posted in the channel
    "approval_request": lambda _: message(
        render_batch.ask_for_approval(inputs.PLAN_NEEDING_APPROVAL, inputs.AWAITING_APPROVAL)
    ),
    # /fw cancel BATCH: the "Cancel N pending jobs" button
    "cancel_preview": lambda _: message(render_batch.cancel_preview(inputs.CANCEL_PREVIEW)),
    # the batch's channel message, updated in place, through to completion
    "progress_launching": lambda _: message(render_batch.progress(inputs.PROGRESS_LAUNCHING)),
    "progress_launched": lambda _: message(render_batch.progress(inputs.PROGRESS_LAUNCHED)),
    "progress_complete": lambda _: message(render_batch.progress(inputs.PROGRESS_COMPLETE)),
    "progress_all_cancelled": lambda _: message(render_batch.progress(inputs.ALL_CANCELLED)),
    # the completion summary in the thread (broadcast), its CSV, and the stuck-jobs alert
    "summary_with_failures": lambda _: message(render_summary.summary(inputs.PROGRESS_COMPLETE)),
    "summary_all_good": lambda _: message(render_summary.summary(inputs.ALL_GOOD)),
    "summary_all_cancelled": lambda _: message(render_summary.summary(inputs.ALL_CANCELLED)),
    "summary_csv": lambda _: {
        "name": render_summary.failures_csv(inputs.PROGRESS_COMPLETE)[0],
        "lines": render_summary.failures_csv(inputs.PROGRESS_COMPLETE)[1].decode().split("\n"),
    },
    "stuck_alert": lambda _: message(
        render_summary.stuck_alert(inputs.PROGRESS_LAUNCHED, inputs.STUCK)
    ),
    # sessions that failed to launch, in the batch message's thread
    "launch_failures": lambda _: message(render_batch.failures(inputs.PROGRESS_LAUNCHED)),
    "launch_failures_over_the_limit": lambda _: message(
        render_batch.failures(inputs.MANY_FAILURES)
    ),
    # error replies
    "error_usage": lambda _: message(error_reply(err := inputs.usage_error(), err.command)),
    "error_permission_denied": lambda _: message(error_reply(inputs.PERMISSION_DENIED, "launch")),
    "error_not_found": lambda _: message(error_reply(inputs.NOT_FOUND, "launch")),
    "error_flywheel_refused": lambda _: message(error_reply(inputs.FLYWHEEL_REFUSED, "launch")),
    "error_internal": internal_error,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_message_matches_its_snapshot(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_matches_snapshot(name, CASES[name](monkeypatch))


def test_every_snapshot_file_belongs_to_a_case() -> None:
    """A renamed or dropped case must not leave a stale snapshot behind."""
    stale = sorted(p.name for p in SNAPSHOTS.glob("*.json") if p.stem not in CASES)
    assert not stale, f"snapshots without a case in test_messages.py (delete them): {stale}"


class RecordingClient:
    """Just enough of ``WebClient`` for ``SlackNotifier``: records each call's arguments."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def chat_postMessage(self, **kwargs: Any) -> dict[str, str]:
        self.calls.append(("chat.postMessage", kwargs))
        return {"ts": "1715679000.000100"}

    def chat_update(self, **kwargs: Any) -> dict[str, str]:
        self.calls.append(("chat.update", kwargs))
        return {"ts": kwargs["ts"]}


def test_the_notifier_sends_exactly_the_snapshotted_batch_messages() -> None:
    """The progress and failure snapshots are what Slack receives, not just what renders."""
    client = RecordingClient()
    notifier = SlackNotifier(cast(WebClient, client), min_interval=0)
    channel = SlackChannel(inputs.CHANNEL)
    posted = notifier.post(channel, inputs.PROGRESS_LAUNCHING)
    assert isinstance(posted, Posted)
    ts = posted.ts
    notifier.update(channel, ts, inputs.PROGRESS_COMPLETE)
    notifier.post_failures(channel, ts, inputs.PROGRESS_LAUNCHED)

    def sent(reply: Reply) -> dict[str, Any]:
        return {"channel": inputs.CHANNEL, "text": reply.text, "blocks": reply.blocks}

    assert client.calls == [
        ("chat.postMessage", sent(render_batch.progress(inputs.PROGRESS_LAUNCHING))),
        ("chat.update", {**sent(render_batch.progress(inputs.PROGRESS_COMPLETE)), "ts": ts}),
        (
            "chat.postMessage",
            {
                **sent(render_batch.failures(inputs.PROGRESS_LAUNCHED)),
                "thread_ts": ts,
                "reply_broadcast": False,
            },
        ),
    ]
