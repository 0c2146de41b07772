"""Small Block Kit helpers that enforce Slack's limits in one place.

Every renderer builds blocks through these, so no message can exceed Slack's
limits (50 blocks, 3,000 characters per section, 150 per header) and long
lists always end with "… and N more" instead of being rejected by Slack.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_FALLBACK_TEXT = 3000
ELLIPSIS = "…"
MORE = "… and {count:,} more"
MORE_RESERVE = 40  # room kept in a section for the "… and N more" line


def escape(text: str) -> str:
    """Escape Flywheel or user text for mrkdwn: Slack treats ``&``, ``<``, ``>`` as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" if cut, never mid-entity (``&amp;``)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    amp = cut.rfind("&", max(0, len(cut) - 5))
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + ELLIPSIS


def more(count: int) -> str:
    return MORE.format(count=count)


def section(text: str) -> Block:
    """A mrkdwn section; ``text`` must already be escaped."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION_TEXT)}}


def header(text: str) -> Block:
    """A header; plain text, so it needs no escaping."""
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": clip(text, MAX_HEADER_TEXT), "emoji": True},
    }


def context(*texts: str) -> Block:
    """Small grey mrkdwn lines, for counts, pointers and hints."""
    elements = [{"type": "mrkdwn", "text": clip(t, MAX_SECTION_TEXT)} for t in texts if t]
    return {"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS]}


def divider() -> Block:
    return {"type": "divider"}


def fields(texts: Sequence[str]) -> Block:
    """A section of short mrkdwn fields laid out in two columns."""
    return {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": clip(t, MAX_FIELD_TEXT)} for t in texts[:MAX_FIELDS]],
    }


def line_sections(
    lines: Sequence[str], *, title: str = "", max_lines: int | None = None, max_sections: int = 10
) -> list[Block]:
    """Pack mrkdwn lines into as few sections as fit, ending with "… and N more" if cut.

    Lines are cut at ``max_lines`` and wherever ``max_sections`` sections are full;
    the count of lines left out is always shown, never silently dropped.
    """
    budget = MAX_SECTION_TEXT - MORE_RESERVE
    shown_limit = len(lines) if max_lines is None else min(len(lines), max_lines)
    chunks: list[list[str]] = [[title]] if title else [[]]
    size = len(title)
    used = 0
    for line in lines[:shown_limit]:
        line = clip(line, budget - len(title) - 1)
        if chunks[-1] and size + 1 + len(line) > budget:
            if len(chunks) == max_sections:
                break
            chunks.append([])
            size = -1
        chunks[-1].append(line)
        size += 1 + len(line)
        used += 1
    if used < len(lines):
        chunks[-1].append(more(len(lines) - used))
    return [section("\n".join(chunk)) for chunk in chunks if chunk]


def fit(blocks: list[Block]) -> list[Block]:
    """At most ``MAX_BLOCKS`` blocks; the last says how many were left out."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    kept = blocks[: MAX_BLOCKS - 1]
    return [*kept, context(more(len(blocks) - len(kept)))]
