"""Building Flywheel filter strings from values a user typed.

A filter is ``key<op>value`` terms joined by commas. Pasting user text into one
unescaped lets a label such as ``x,label=~.*`` widen the query. Flywheel reads a
quoted value as a string (an unquoted 24-hex value is an ObjectId), documents only
``\\,`` as an escape, and treats a quoted ``=~`` pattern as no regex at all. So:
:func:`equals` quotes a value with a quote character it does not contain, escaping
commas, and falls back to an unquoted regex of ``\\xHH`` escapes (see
:func:`literal_regex`) for a value it cannot quote; callers compare results with the
literal value again, since the fallback can over-match.
"""

from __future__ import annotations


def equals(key: str, value: str) -> str:
    """A term matching ``key`` equal to the string ``value`` (never an ObjectId)."""
    if "\\" not in value:
        escaped = value.replace(",", "\\,")
        for quote in ('"', "'"):
            if quote not in value:
                return term(key, "=", f"{quote}{escaped}{quote}")
    return term(key, "=~", "^" + literal_regex(value) + "$")


def literal_regex(text: str) -> str:
    """An unquoted ``=~`` value matching ``text``, made only of word characters and escapes.

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
