"""The one place a Reply is assembled, so every reply respects Slack's limits."""

from __future__ import annotations

from dataclasses import replace

from commands.render.blocks import MAX_FALLBACK_TEXT, Block, clip, context, escape, fit
from commands.reply import Reply, ReplyFile


def reply(
    text: str,
    blocks: list[Block],
    console: str,
    *,
    ephemeral: bool = True,
    error: bool = False,
    files: tuple[ReplyFile, ...] = (),
) -> Reply:
    """``text`` is the plain fallback (escaped here); ``blocks`` are cut to 50 if need be."""
    return Reply(
        text=clip(escape(text), MAX_FALLBACK_TEXT),
        blocks=fit(blocks),
        console=console,
        ephemeral=ephemeral,
        error=error,
        files=files,
    )


def with_note(answer: Reply, note: str) -> Reply:
    """The reply with one more line at its end (``note`` is plain text): where its files
    went, once the adapter has put them there. The files themselves are dropped."""
    blocks = fit([*answer.blocks, context(escape(note))]) if answer.blocks else []
    return replace(
        answer,
        text=clip(f"{answer.text}\n{escape(note)}", MAX_FALLBACK_TEXT),
        blocks=blocks,
        console=f"{answer.console_text().rstrip()}\n{note}",
        files=(),
    )
