"""Renderers for subscriptions: the command replies, the event posts on subscribed
channels, and the daily digest (with its failures as CSV).

Posts are read on phones: the headline first (what a notification shows), counts before
lists, lists cut with "… and N more", and a plain text fallback on every message.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.subscriptions import DIGEST
from bot.service.subscriptions.ports import (
    Digest,
    EventNotice,
    FailedRun,
    Subscribed,
    SubscriptionList,
    SubscriptionView,
)
from commands.render import text as console
from commands.render.blocks import Block, context, escape, line_sections, section
from commands.render.message import reply
from commands.reply import Reply

EVENT_WORDS = {
    "done": "ends with no failure",
    "failed": "ends with failures",
    "stuck": "has stuck jobs",
}
MARK = {"done": "✅", "failed": "❌", "stuck": "⏳"}
FAILURES_SHOWN = 5
CSV_COLUMNS = (
    "gear",
    "version",
    "subject",
    "session",
    "reason",
    "launched_by",
    "batch",
    "ended_utc",
    "analysis_id",
)


# -- command replies -------------------------------------------------------------------
def _scope(sub: SubscriptionView) -> str:
    gear = f"`{sub.gear}`" if sub.gear else "every gear"
    return f"`{sub.project_label}` ({gear})"


def _what(sub: SubscriptionView) -> str:
    told = [EVENT_WORDS[e] for e in sub.events if e in EVENT_WORDS]
    if "done" in sub.events and "failed" in sub.events:  # either way: it ended
        told = ["ends", *(EVENT_WORDS[e] for e in sub.events if e == "stuck")]
    parts = []
    if told:
        parts.append("posts when a batch " + _join(told))
    if sub.digest_time:
        parts.append(f"a daily digest at {sub.digest_time} {sub.timezone}")
    return "; ".join(parts) or "nothing"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def subscribed(result: Subscribed) -> Reply:
    sub = result.subscription
    verb = "now follows" if not result.updated else "now follows (updated)"
    message = f"This channel {verb} {_scope(sub)}: {_what(sub)}."
    hint = "Stop with `/fw unsubscribe project={p}{g}`; list with `/fw subscriptions`.".format(
        p=_word(sub.project_label), g=f" gear={sub.gear}" if sub.gear else ""
    )
    blocks: list[Block] = [section(escape(message)), context(escape(hint))]
    plain = message.replace("`", "'")
    return reply(plain, blocks, f"{plain}\n{hint}", ephemeral=False)


def unsubscribed(project_label: str, gear: str | None) -> Reply:
    what = f"`{project_label}`" + (f" (gear `{gear}`)" if gear else "")
    message = f"This channel no longer follows {what}."
    return reply(message.replace("`", "'"), [section(escape(message))], message, ephemeral=False)


def subscription_list(result: SubscriptionList) -> Reply:
    hidden = f"{result.hidden} more on projects you have no access to." if result.hidden else ""
    if not result.subscriptions:
        message = "This channel follows no project."
        if hidden:
            message += " " + hidden
        hint = "Follow a project: `/fw subscribe project=PROJECT`"
        return reply(message, [section(message), context(hint)], f"{message}\n{hint}")
    lines = [_line(s) for s in result.subscriptions]
    title = f"*This channel follows* ({len(result.subscriptions)})"
    blocks = [*line_sections([escape(line) for line in lines], title=title)]
    if hidden:
        blocks.append(context(escape(hidden)))
    blocks.append(context("Stop one with `/fw unsubscribe project=P [gear=G]`."))
    rows = [
        (
            s.project_label,
            s.gear or "(all)",
            ",".join(e for e in s.events if e != DIGEST) or "-",
            f"{s.digest_time} {s.timezone}" if s.digest_time else "-",
            "paused" if s.paused else "active",
        )
        for s in result.subscriptions
    ]
    text = console.table(("PROJECT", "GEAR", "EVENTS", "DIGEST", "STATE"), rows)
    if any(s.paused for s in result.subscriptions):
        text += "\nPaused: fwbot cannot post here; `/fw subscribe` again resumes."
    if hidden:
        text += "\n" + hidden
    fallback = f"This channel follows {len(result.subscriptions)} project subscription(s)"
    return reply(fallback, blocks, text)


def _line(sub: SubscriptionView) -> str:
    paused = _paused(sub)
    state = f" — ⏸ {paused}" if paused else ""
    return f"• {_scope(sub)}: {_what(sub)}{state}"


def _paused(sub: SubscriptionView) -> str:
    if not sub.paused:
        return ""
    why = f" ({sub.paused_reason})" if sub.paused_reason else ""
    return f"paused: fwbot cannot post here{why}; subscribe again to resume"


def _word(value: str) -> str:
    return f'"{value}"' if any(c.isspace() or c in ",\"'" for c in value) else value


# -- events ------------------------------------------------------------------------------
def event_headline(notice: EventNotice) -> str:
    """What a phone notification shows: gear on project, the outcome in counts."""
    who = f"`{notice.batch_id}`" if notice.batch_id else "outside fwbot"
    where = f"{notice.gear_name} on {notice.project_label}"
    if notice.kind == "stuck":
        count = len(notice.stuck_sessions)
        return f"{MARK['stuck']} {where}: {count:,} job(s) stuck ({who})"
    counts = f"{notice.complete:,} complete, {notice.failed:,} failed"
    if notice.cancelled:
        counts += f", {notice.cancelled:,} cancelled"
    return f"{MARK[notice.kind]} {where}: {counts} ({who})"


def _origin(notice: EventNotice) -> str:
    when = _utc(notice.launched_at)
    if notice.outside:
        of = f" of Flywheel batch {notice.flywheel_batch}" if notice.flywheel_batch else ""
        return (
            f"{notice.gear_name} {notice.gear_version}, {notice.total:,} run(s){of} "
            f"launched outside fwbot by {notice.launched_by}{when}"
        )
    return (
        f"Batch {notice.batch_id}: {notice.gear_name} {notice.gear_version}, "
        f"{notice.total:,} session(s), launched by {notice.launched_by}{when}"
    )


def event(notice: EventNotice) -> Reply:
    headline = event_headline(notice)
    blocks: list[Block] = [section(f"*{escape(headline)}*"), context(escape(_origin(notice)))]
    lines: list[str] = []
    if notice.kind == "stuck":
        lines = [f"• {s}" for s in notice.stuck_sessions]
        title = "*Pending or running far longer than usual:*"
    else:
        lines = [_failure_line(f) for f in notice.failures]
        title = "*First failures:*" if notice.failed > len(notice.failures) else "*Failures:*"
    if lines:
        more = notice.failed - len(notice.failures) if notice.kind != "stuck" else 0
        blocks += line_sections([escape(x) for x in lines], title=title, max_lines=10)
        if more > 0:
            blocks.append(context(f"… and {more:,} more; the daily digest has them all as CSV."))
    if notice.active and notice.kind != "stuck":
        blocks.append(context(f"{notice.active:,} still pending or running."))
    if notice.batch_id:
        blocks.append(context(f"`/fw status {notice.batch_id}` for details."))
    text = "\n".join([headline.replace("`", ""), _origin(notice), *lines])
    return reply(headline.replace("`", ""), blocks, text, ephemeral=False)


def _failure_line(f: FailedRun) -> str:
    who = " ".join(x for x in (f.subject_label, f.session_label) if x) or f.analysis_id
    return f"• {who}: {f.reason}"


def _utc(at: datetime | None) -> str:
    return f", {at.astimezone(ZoneInfo('UTC')):%Y-%m-%d %H:%M} UTC" if at else ""


# -- the daily digest --------------------------------------------------------------------
def digest_headline(d: Digest) -> str:
    launched = sum(g.launched for g in d.gears)
    complete = sum(g.complete for g in d.gears)
    failed = sum(g.failed for g in d.gears)
    pending = sum(g.pending for g in d.gears)
    scope = f"{d.project_label}" + (f" ({d.gear})" if d.gear else "")
    return (
        f"📋 {scope}, last 24 h: {launched:,} launched, {complete:,} complete, "
        f"{failed:,} failed, {pending:,} pending"
    )


def digest(d: Digest) -> Reply:
    headline = digest_headline(d)
    rows = [
        (
            g.gear_name,
            f"{g.launched:,}",
            f"{g.complete:,}",
            f"{g.failed:,}",
            f"{g.pending:,}",
            f"{g.stuck:,}",
        )
        for g in d.gears
    ]
    lines = [
        f"*{escape(g.gear_name)}*: {g.launched:,} launched · {g.complete:,} complete · "
        f"{g.failed:,} failed · {g.pending:,} pending"
        + (f" · ⏳ {g.stuck:,} stuck" if g.stuck else "")
        for g in d.gears
    ]
    when = f"Daily digest for {d.local_date:%A %d %B} ({d.timezone})"
    blocks: list[Block] = [
        section(f"*{escape(headline)}*"),
        context(escape(when)),
        *line_sections(lines),
    ]
    if d.failures:
        shown = [_failure_line(f) for f in d.failures[:FAILURES_SHOWN]]
        blocks += line_sections([escape(x) for x in shown], title="*Failures:*")
        rest = len(d.failures) - len(shown)
        tail = f"… and {rest:,} more. " if rest > 0 else ""
        blocks.append(context(f"{tail}Every failure is in the CSV in this thread."))
    table = console.table(("GEAR", "LAUNCHED", "COMPLETE", "FAILED", "PENDING", "STUCK"), rows)
    text = "\n".join([headline, when, table])
    if d.failures:
        text += "\n" + "\n".join(_failure_line(f) for f in d.failures[:FAILURES_SHOWN])
    return reply(headline, blocks, text, ephemeral=False)


def failures_filename(d: Digest) -> str:
    gear = f"-{d.gear}" if d.gear else ""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in d.project_label + gear)
    return f"failures-{safe}-{d.local_date.isoformat()}.csv"


def failures_csv(d: Digest) -> bytes:
    """Every failure of the digest's day, one row each."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for f in d.failures:
        writer.writerow(
            (
                f.gear_name,
                f.gear_version,
                f.subject_label,
                f.session_label,
                f.reason,
                f.launched_by,
                f.batch,
                f.ended.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S")
                if f.ended
                else "",
                f.analysis_id,
            )
        )
    return out.getvalue().encode()
