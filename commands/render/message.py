"""The one place a Reply is assembled, so every reply respects Slack's limits."""

from __future__ import annotations

from commands.render.blocks import MAX_FALLBACK_TEXT, Block, clip, escape, fit
from commands.reply import Reply


def reply(
    text: str, blocks: list[Block], console: str, *, ephemeral: bool = True, error: bool = False
) -> Reply:
    """``text`` is the plain fallback (escaped here); ``blocks`` are cut to 50 if need be."""
    return Reply(
        text=clip(escape(text), MAX_FALLBACK_TEXT),
        blocks=fit(blocks),
        console=console,
        ephemeral=ephemeral,
        error=error,
    )
