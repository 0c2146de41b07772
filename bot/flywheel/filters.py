"""Building Flywheel filter strings from values a user typed.

A filter is ``key<op>value`` terms joined by commas. Pasting user text into
one unescaped lets a label such as ``x,label=~.*`` widen the query, so every
value goes through :func:`quote_value`, and regexes through :func:`literal_regex`.
"""

from __future__ import annotations

import re

_NEEDS_ESCAPE = re.compile(r'([\\",])')


def quote_value(value: str) -> str:
    """A filter value that matches ``value`` literally: double-quoted, with ``\\``, ``"`` and
    ``,`` escaped, so no operator, comma or quote inside it is read as syntax."""
    return '"' + _NEEDS_ESCAPE.sub(r"\\\1", value) + '"'


def literal_regex(text: str) -> str:
    """An ``=~`` value matching ``text`` anywhere, made only of word characters and escapes.

    Every character other than ``[A-Za-z0-9_]`` becomes ``\\xHH`` (ASCII) or ``.``
    (anything else), so the value holds no comma, quote or operator for the filter
    parser to misread, and no regex syntax. ``.`` can over-match, so callers compare
    the results with the literal text again.
    """
    out = []
    for ch in text:
        if ch.isascii() and (ch.isalnum() or ch == "_"):
            out.append(ch)
        elif ch.isascii():
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(".")
    return "".join(out)


def term(key: str, op: str, value: str) -> str:
    """One filter term; ``key`` is fwbot's own constant, never user text."""
    return f"{key}{op}{value}"


def join(*terms: str) -> str:
    return ",".join(terms)
