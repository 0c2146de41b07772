"""The completion summary and the stuck-jobs alert, both in the batch message's thread.

The summary is what a phone notification shows when a batch ends: its fallback text
starts with the headline (``qsiprep-hpc on gear_testing: 1,222 complete, 107 failed,
0 cancelled · 2 h 14 min``) and mentions the requester; then the counts, the failed
sessions with Flywheel's reasons (the first ``FAILURES_SHOWN``), the runs complete
without their expected outputs, and Retry failed / Status buttons. When a list is cut,
the full list goes in the thread as a CSV file (``failures_csv``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from bot.service.launch.progress import BatchView, FailedSession, StuckReport
from commands.buttons import ButtonAction, button_value
from commands.render.batch import duration, flywheel_link, job_url, project_url
from commands.render.blocks import (
    MAX_FALLBACK_TEXT,
    Block,
    clip,
    context,
    escape,
    fit,
    line_sections,
    section,
)
from commands.reply import Reply

FAILURES_SHOWN = 20
STUCK_SHOWN = 20
CSV_COLUMNS = ("subject", "session", "problem", "reason", "job_id", "job_url")


def headline(view: BatchView) -> str:
    """``GEAR on PROJECT: N complete, N failed, N cancelled · TIME`` (plain text)."""
    b = view.batch
    counts = f"{view.complete:,} complete, {view.failed:,} failed, {view.cancelled:,} cancelled"
    if view.launch_failed:
        counts += f", {view.launch_failed:,} not launched"
    elapsed = view.elapsed
    took = f" · {duration(elapsed)}" if elapsed is not None else ""
    return f"{b.gear_name} on {b.project_label}: {counts}{took}"


def requester(view: BatchView) -> str:
    """A Slack mention of who launched it (notifies them), else their email."""
    b = view.batch
    return f"<@{b.requester_slack_id}>" if b.requester_slack_id else escape(b.requester_email)


def summary(view: BatchView) -> Reply:
    """The completion summary (posted once, in the thread and in the channel)."""
    b = view.batch
    title = headline(view)
    who = requester(view)
    intro = f"{who} batch `{b.id}` ({escape(b.gear_name)} {escape(b.gear_version)}) has ended."
    blocks: list[Block] = [section(f"*{escape(title)}*\n{intro}")]
    console = [title, f"{b.requester_email}: batch {b.id} has ended."]
    if view.failed_jobs:
        blocks += _listed(f"{len(view.failed_jobs):,} failed", view.failed_jobs)
        console += _console_list(f"{len(view.failed_jobs):,} failed", view.failed_jobs)
    if view.without_outputs:
        expected = ", ".join(f"`{escape(p)}`" for p in b.expect_outputs)
        what = f"{len(view.without_outputs):,} complete without expected outputs"
        blocks += _listed(f"{what} ({expected})", view.without_outputs)
        console += _console_list(what, view.without_outputs)
    if view.failures:
        note = f"{len(view.failures):,} sessions failed to launch (listed above in this thread)."
        blocks.append(context(escape(note)))
        console.append(note)
    notes = []
    if needs_csv(view):
        notes.append(f"All {len(csv_rows(view)):,} sessions to look at: the CSV file below.")
    link = flywheel_link(view)
    if link:
        notes.append(link)
    if notes:
        blocks.append(context(*notes))
    blocks.append(_buttons(view))
    console.append(_typed(view))
    url = project_url(view)
    if url:
        console.append(f"Flywheel: {url}")
    text = clip(f"{escape(title)} · {who}", MAX_FALLBACK_TEXT)
    return Reply(text=text, blocks=fit(blocks), console="\n".join(console), ephemeral=False)


def _retryable(view: BatchView) -> int:
    """The sessions `/fw retry` relaunches: failed to launch, failed, or without outputs."""
    return len(view.failed_jobs) + len(view.without_outputs) + len(view.failures)


def _buttons(view: BatchView) -> Block:
    b = view.batch
    elements: list[Block] = []
    retry = _retryable(view)
    if retry:
        elements.append(
            {
                "type": "button",
                "text": {"type": "plain_text", "text": f"Retry {retry:,} failed"},
                "action_id": ButtonAction.RETRY.value,
                "value": button_value(ButtonAction.RETRY, b.id, b.requester_email),
                "style": "primary",
            }
        )
    elements.append(
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "Status"},
            "action_id": ButtonAction.STATUS.value,
            "value": button_value(ButtonAction.STATUS, b.id, b.requester_email),
        }
    )
    return {"type": "actions", "block_id": f"summary-{b.id}", "elements": elements}


def _typed(view: BatchView) -> str:
    status = f"Status: `{ButtonAction.STATUS.typed(view.batch.id)}`"
    if not _retryable(view):
        return status
    return f"Retry the failed: `{ButtonAction.RETRY.typed(view.batch.id)}`   {status}"


def _line(failed: FailedSession) -> str:
    who = f"{failed.subject_label} {failed.session_label}".strip()
    return f"{who}: {failed.reason}"


def _listed(title: str, sessions: Sequence[FailedSession]) -> list[Block]:
    lines = [escape(_line(f)) for f in sessions]
    return line_sections(lines, title=f"*{escape(title)}*", max_lines=FAILURES_SHOWN)


def _console_list(title: str, sessions: Sequence[FailedSession]) -> list[str]:
    lines = [f"  {_line(f)}" for f in sessions[:FAILURES_SHOWN]]
    rest = len(sessions) - len(lines)
    more = [f"  … and {rest:,} more"] if rest > 0 else []
    return [f"{title}:", *lines, *more]


# -- the full list as a CSV file -------------------------------------------------------
def csv_rows(view: BatchView) -> list[tuple[str, ...]]:
    """Every session that needs another look: failed jobs, complete without outputs,
    and sessions that failed to launch."""
    rows: list[tuple[str, ...]] = []
    for problem, sessions in (
        ("failed", view.failed_jobs),
        ("complete without outputs", view.without_outputs),
        ("not launched", view.failures),
    ):
        rows += [
            (
                f.subject_label,
                f.session_label,
                problem,
                f.reason,
                f.job_id or "",
                job_url(view, f.job_id),
            )
            for f in sessions
        ]
    return rows


def needs_csv(view: BatchView) -> bool:
    """The message lists at most ``FAILURES_SHOWN`` of each kind: a longer list goes in a
    CSV file in the thread (launch failures are listed whole in their own thread post)."""
    return len(view.failed_jobs) > FAILURES_SHOWN or len(view.without_outputs) > FAILURES_SHOWN


def failures_csv(view: BatchView) -> tuple[str, bytes]:
    """(file name, UTF-8 CSV with a header row) of ``csv_rows``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(view))
    return f"{view.batch.id}-failed-sessions.csv", out.getvalue().encode()


def csv_comment(view: BatchView) -> str:
    rows = len(csv_rows(view))
    return f"Every session of `{view.batch.id}` that failed or lacks its outputs ({rows:,})."


# -- stuck jobs -------------------------------------------------------------------------
def stuck_alert(view: BatchView, report: StuckReport) -> Reply:
    """Jobs pending or running far longer than their gear should take (posted once)."""
    b = view.batch
    count = len(report.jobs)
    title = (
        f"{count:,} jobs of batch {b.id} ({b.gear_name} on {b.project_label}) have been "
        f"queued or running for over {duration(report.threshold)}"
    )
    lines = [
        f"{j.subject_label} {j.session_label}: {j.state.value} for {duration(j.waited)}".strip()
        for j in report.jobs
    ]
    hint = (
        f"Check them in Flywheel; `{ButtonAction.CANCEL_PLAN.typed(b.id)}` shows and "
        "cancels the batch's pending jobs."
    )
    who = requester(view)
    blocks: list[Block] = [
        section(f"*{escape(title)}*\n{who}"),
        *line_sections([escape(line) for line in lines], max_lines=STUCK_SHOWN),
        context(*filter(None, [escape(hint), flywheel_link(view)])),
        {
            "type": "actions",
            "block_id": f"stuck-{b.id}",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Status"},
                    "action_id": ButtonAction.STATUS.value,
                    "value": button_value(ButtonAction.STATUS, b.id, b.requester_email),
                }
            ],
        },
    ]
    shown = [f"  {line}" for line in lines[:STUCK_SHOWN]]
    if count > STUCK_SHOWN:
        shown.append(f"  … and {count - STUCK_SHOWN:,} more")
    console = "\n".join([f"[{b.id}] {title}:", *shown, hint])
    text = clip(f"{escape(title)} · {who}", MAX_FALLBACK_TEXT)
    return Reply(text=text, blocks=fit(blocks), console=console, ephemeral=False)
