"""Renderer for `/fw history`: newest first, one line per decision, refusals with their reason."""

from __future__ import annotations

from bot.domain import AuditEvent
from bot.service.history import History
from commands.render import text as console
from commands.render.blocks import Block, context, escape, line_sections
from commands.render.message import reply
from commands.reply import Reply

TITLE = "*Recent fwbot activity* for {scope} ({count})"
CONSOLE_TITLE = "Recent fwbot activity for {scope} ({count})"
TEXT = "{count} recent fwbot events for {scope}"
EMPTY = "No fwbot activity recorded for {scope} yet."
POINTER = "Times are shown in your time zone. Older events: ask a fwbot admin."
SCOPES = {"you": "you", "everyone": "everyone"}
OUTCOME_MARK = {"allowed": "✓", "refused": "✗", "error": "!"}


def _scope(history: History) -> str:
    return SCOPES.get(history.scope, f"`{history.scope}`")


def _slack_time(event: AuditEvent) -> str:
    """Slack renders ``<!date^...>`` in the reader's own time zone; the fallback is UTC."""
    fallback = event.at.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(event.at.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _what(event: AuditEvent) -> str:
    parts = [event.action]
    if event.target and event.target != event.project_label:
        parts.append(event.target)
    if event.project_label:
        parts.append(f"on {event.project_label}")
    return " ".join(parts)


def _why(event: AuditEvent) -> str:
    return f" — {event.outcome}: {event.reason}" if event.outcome != "allowed" else ""


def history(result: History) -> Reply:
    scope = _scope(result)
    count = len(result.events)
    if not result.events:
        message = EMPTY.format(scope=scope)
        return reply(message, [context(message)], message.replace("`", "'"))
    lines = [
        f"{OUTCOME_MARK[e.outcome]} {_slack_time(e)} *{escape(e.actor_email)}* "
        f"{escape(_what(e))}{escape(_why(e))}"
        for e in result.events
    ]
    blocks: list[Block] = [
        *line_sections(lines, title=TITLE.format(scope=scope, count=count)),
        context(POINTER),
    ]
    rows = [
        (
            e.at.strftime("%m-%d %H:%M"),
            OUTCOME_MARK[e.outcome],
            e.actor_email,
            _what(e) + _why(e),
        )
        for e in result.events
    ]
    plain_scope = scope.replace("`", "'")
    text = "\n".join(
        [
            CONSOLE_TITLE.format(scope=plain_scope, count=count) + " (UTC)",
            "",
            console.table(("WHEN", "", "WHO", "WHAT"), rows),
        ]
    )
    return reply(TEXT.format(count=count, scope=plain_scope), blocks, text)
