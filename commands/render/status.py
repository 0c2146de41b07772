"""Renderers for a project's state: the latest good run per session of one gear (with the
full list as a CSV file on request), one line per gear, and lists of batches. Counts
first, so a phone's notification shows the news."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from bot.domain import Batch
from bot.service.project_status import (
    BatchList,
    GearStatus,
    Outcome,
    ProjectOverview,
    SessionStatus,
)
from commands.render.batch import STATE_WORDS
from commands.render.blocks import Block, context, escape, line_sections, section
from commands.render.message import reply
from commands.reply import Reply, ReplyFile

SESSIONS_SHOWN = 8
CSV_COLUMNS = (
    "subject",
    "session",
    "session_id",
    "outcome",
    "analysis_id",
    "analysis_label",
    "state",
    "gear_version",
    "outputs_present",
    "created",
    "runs",
)


def _outcome_words(outcome: Outcome, patterns: tuple[str, ...]) -> str:
    if outcome is Outcome.GOOD:
        return "good"
    if outcome is Outcome.RUNNING:
        return "running or queued"
    if outcome is Outcome.NO_OUTPUTS:
        return "complete without " + ", ".join(patterns)
    if outcome is Outcome.FAILED:
        return "only failed or cancelled runs"
    return "never run"


# -- one gear: the latest good run per session ----------------------------------------------
def gear_status(status: GearStatus, *, with_csv: bool = False) -> Reply:
    """`/fw status project=P gear=G`: counts, the sessions that need a rerun, and (``csv``)
    every session in a file."""
    counts = status.counts()
    total = len(status.sessions)
    gear = status.gear + (f" {status.version}" if status.version else "")
    headline = (
        f"{gear} on {status.project.label}: {counts[Outcome.GOOD]:,} of {total:,} sessions "
        "have a good run"
    )
    parts = [
        f"{counts[o]:,} {_outcome_words(o, status.expect_outputs)}"
        for o in Outcome
        if counts[o] or o in (Outcome.GOOD, Outcome.FAILED, Outcome.NONE)
    ]
    count_line = " · ".join(parts)
    facts = [
        f"sessions: {status.scope}",
        "good: the latest complete run with " + ", ".join(status.expect_outputs),
        f"{status.runs:,} runs, {status.runs_outside_fwbot:,} of them launched outside fwbot",
    ]
    attention = [s for s in status.sessions if s.outcome in (Outcome.FAILED, Outcome.NO_OUTPUTS)]
    shown = [_session_line(s, status.expect_outputs) for s in attention[:SESSIONS_SHOWN]]
    rest = len(attention) - len(shown)
    command = f"/fw status project={_word(status.project.label)} gear={status.gear}"
    if status.version:
        command += f" version={status.version}"
    hint = "The full list is attached as CSV." if with_csv else f"Every session: `{command} csv`"
    blocks: list[Block] = [
        section(f"*{escape(gear)}* on *{escape(status.project.label)}*\n{escape(count_line)}"),
        context(*(escape(f) for f in facts)),
    ]
    if shown:
        title = f"*{len(attention):,} need a rerun*"
        lines = [escape(line) for line in shown] + ([f"and {rest:,} more"] if rest > 0 else [])
        blocks += line_sections(lines, title=title)
    blocks.append(context(escape(hint)))
    console = [headline, count_line, *(f"  {f}" for f in facts)]
    if shown:
        console.append(f"{len(attention):,} need a rerun:")
        console += [f"  {line}" for line in shown]
        if rest > 0:
            console.append(f"  and {rest:,} more")
    console.append(hint.replace("`", ""))
    files = (sessions_csv(status),) if with_csv else ()
    return reply(f"{headline}: {count_line}", blocks, "\n".join(console), files=files)


def _session_line(status: SessionStatus, patterns: tuple[str, ...]) -> str:
    """``sub-0801 ses-PNC2: failed 2020-01-13`` (the latest run; the CSV has its label)."""
    run = status.run
    where = f"{status.session.subject_label} {status.session.label}"
    if run is None:
        return f"{where}: {_outcome_words(status.outcome, patterns)}"
    what = run.state.value
    if status.outcome is Outcome.NO_OUTPUTS:
        what += " without " + ", ".join(patterns)
    more = f" ({status.runs:,} runs)" if status.runs > 1 else ""
    return f"{where}: {what} {run.created:%Y-%m-%d}{more}"


def sessions_csv(status: GearStatus) -> ReplyFile:
    """One row per session: its latest good run (else its latest run), as a spreadsheet
    reads it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in status.sessions:
        run = s.run
        writer.writerow(
            _cells(
                [
                    s.session.subject_label,
                    s.session.label,
                    s.session.session_id,
                    s.outcome.value,
                    run.analysis_id if run else "",
                    run.label if run else "",
                    run.state.value if run else "",
                    run.gear_version if run else "",
                    "yes" if s.outputs_present else "no",
                    run.created.isoformat() if run else "",
                    str(s.runs),
                ]
            )
        )
    version = f"_{status.version}" if status.version else ""
    name = _filename(f"{status.project.label}_{status.gear}{version}_latest_runs.csv")
    title = f"{status.gear} on {status.project.label}: latest good run per session"
    return ReplyFile(name=name, content=out.getvalue().encode(), title=title)


def _cells(values: list[str]) -> list[str]:
    """A cell a spreadsheet would read as a formula (a label starting ``=``) is quoted."""
    return ["'" + v if v[:1] in ("=", "+", "-", "@") else v for v in values]


def _filename(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


def _word(value: str) -> str:
    """A value as the user would type it: quoted when it has spaces or quotes."""
    if re.fullmatch(r"[^\s\"'`]+", value):
        return value
    return "'" + value.replace("'", "") + "'"


# -- every gear on a project ------------------------------------------------------------------
def overview(view: ProjectOverview) -> Reply:
    """`/fw status project=P`: one line per gear run on the project's sessions."""
    label = view.project.label
    hint = f"Per session: `/fw status project={_word(label)} gear=GEAR` (add `csv` for the list)."
    if not view.gears:
        message = f"No gear has run on the {view.sessions:,} sessions of {label} yet."
        return reply(message, [section(escape(message))], message)
    gears = f"{len(view.gears):,} gear" + ("s" if len(view.gears) > 1 else "")
    headline = f"{label}: {view.sessions:,} sessions, runs of {gears}"
    lines = []
    for line in view.gears:
        counts = line.counts
        parts = [f"{counts[Outcome.GOOD]:,} good"]
        if counts[Outcome.RUNNING]:
            parts.append(f"{counts[Outcome.RUNNING]:,} running")
        if counts[Outcome.NO_OUTPUTS]:
            parts.append(f"{counts[Outcome.NO_OUTPUTS]:,} without outputs")
        parts += [f"{counts[Outcome.FAILED]:,} failed", f"{counts[Outcome.NONE]:,} none"]
        latest = f" · last run {line.latest:%Y-%m-%d}" if line.latest else ""
        lines.append((line.gear, " · ".join(parts) + latest))
    blocks: list[Block] = [
        *line_sections(
            [f"`{escape(gear)}` {escape(text)}" for gear, text in lines],
            title=f"*{escape(label)}*: {view.sessions:,} sessions",
        ),
        context(
            "Per gear: sessions whose latest complete run has its outputs (good), with only "
            "failed or cancelled runs (failed), never run (none).",
            escape(hint),
        ),
    ]
    console = [headline, *(f"  {gear}: {text}" for gear, text in lines), hint.replace("`", "")]
    text = headline + ": " + "; ".join(f"{gear} {t}" for gear, t in lines)
    return reply(text, blocks, "\n".join(console))


# -- batches ---------------------------------------------------------------------------------
def batch_list(result: BatchList) -> Reply:
    """`/fw batches` and `/fw status mine`: one line per batch, newest first."""
    if result.project and result.mine:
        scope = f"Your batches on {result.project}"
    elif result.project:
        scope = f"Batches on {result.project}"
    elif result.mine:
        scope = "Your batches"
    else:
        scope = "Recent batches on your projects"
    if not result.batches:
        message = f"{scope}: none yet."
        hint = "Start one with `/fw launch GEAR project=PROJECT`."
        return reply(
            f"{message} {hint}", [section(escape(message)), context(hint)], f"{message}\n{hint}"
        )
    lines = [_batch_line(b, result.now) for b in result.batches]
    hint = "Details: `/fw status BATCH`."
    blocks: list[Block] = [
        *line_sections(
            [escape(line) for line in lines], title=f"*{escape(scope)}* ({len(lines):,})"
        ),
        context(hint),
    ]
    console = [
        f"{scope} ({len(lines):,})",
        *(f"  {line.replace('`', '')}" for line in lines),
        hint.replace("`", ""),
    ]
    return reply(f"{scope}: {len(lines):,}", blocks, "\n".join(console))


def _batch_line(batch: Batch, now: datetime) -> str:
    parts = [
        f"`{batch.id}` {batch.gear_name} on {batch.project_label}",
        STATE_WORDS[batch.state],
    ]
    if batch.is_plan or batch.launched_at is None:  # nothing launched (yet): no counts
        parts.append(f"{batch.target_count:,} sessions")
    else:
        counts = f"{batch.complete_count:,}/{batch.target_count:,} complete"
        if batch.failed_count:
            counts += f", {batch.failed_count:,} failed"
        parts.append(counts)
    if batch.retry_of:
        parts.append(f"retry of `{batch.retry_of}`")
    parts.append(age(batch.created_at, now))
    return " · ".join(parts)


def age(then: datetime, now: datetime) -> str:
    """``just now``, ``5 min ago``, ``3 h ago``, ``2 days ago``."""
    seconds = max(0.0, (now - then).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400 * 2:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} days ago"
