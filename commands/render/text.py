"""Plain-text helpers for the console: aligned columns that fit an 80-column terminal."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

WIDTH = 80
GAP = "  "
MAX_COLUMN = 28  # every column but the last is clipped to this
ELLIPSIS = "…"
MORE = "… and {count:,} more"


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + ELLIPSIS


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, width: int = WIDTH) -> str:
    """Columns padded to their widest cell; the last column is clipped so lines fit ``width``."""
    cols = len(headers)
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(cols)]
    widths[:-1] = [min(w, MAX_COLUMN) for w in widths[:-1]]
    fixed = sum(widths[:-1]) + len(GAP) * (cols - 1)
    widths[-1] = max(8, min(widths[-1], width - fixed))
    lines = []
    for row in [headers, *rows]:
        cells = [clip(c, w).ljust(w) for c, w in zip(row, widths, strict=True)]
        lines.append(GAP.join(cells).rstrip())
    return "\n".join(lines)


def wrap(text: str, *, indent: str = "", width: int = WIDTH) -> str:
    """Text wrapped to ``width``, each line starting with ``indent``."""
    return textwrap.fill(
        " ".join(text.split()), width=width, initial_indent=indent, subsequent_indent=indent
    )


def more(count: int) -> str:
    return MORE.format(count=count)


def definitions(items: Sequence[tuple[str, str]], *, indent: str = "  ", width: int = WIDTH) -> str:
    """``term  description`` lines, descriptions wrapped under each other (a long term gets
    its own line)."""
    if not items:
        return ""
    term_width = min(max(len(term) for term, _ in items), MAX_COLUMN)
    pad = " " * (len(indent) + term_width + len(GAP))
    lines: list[str] = []
    for term, description in items:
        if len(term) > term_width:
            lines.append(indent + term)
            first = pad
        else:
            first = indent + term.ljust(term_width) + GAP
        body = " ".join(description.split()) or "-"
        lines.append(textwrap.fill(body, width=width, initial_indent=first, subsequent_indent=pad))
    return "\n".join(lines)
