"""Flywheel's ``filter=`` query syntax: parse once, then match documents.

Flywheel filters are ``key<op>value`` clauses joined by commas. Operators:
``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``=~`` (regex) and ``=|[a,b]`` (in).
Values may be quoted, a literal comma is ``\\,``; keys may be dotted
(``parents.project``). A clause on a list field matches when any element does.
Numbers compare as numbers and ISO timestamps as timestamps, as on the server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Longest operators first so "<=" is not read as "<".
OPERATORS = ("=~", "=|", "!=", "<=", ">=", "=", "<", ">")


class FilterError(ValueError):
    """A filter string the server cannot parse (served as HTTP 400)."""


@dataclass(frozen=True)
class Clause:
    key: str
    op: str
    value: str | tuple[str, ...]


def split_clauses(text: str) -> list[str]:
    """Split on commas that are neither escaped, quoted nor inside ``[...]``."""
    parts: list[str] = []
    buf: list[str] = []
    quote: str | None = None
    depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            buf.append(text[i : i + 2])
            i += 2
            continue
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            parts.append("".join(buf))
            buf = []
            i += 1
            continue
        buf.append(ch)
        i += 1
    if quote:
        raise FilterError(f"unterminated quote in filter: {text!r}")
    parts.append("".join(buf))
    return [p for p in (part.strip() for part in parts) if p]


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return re.sub(r"\\(.)", r"\1", value)


def parse_clause(text: str) -> Clause:
    m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(=~|=\||!=|<=|>=|=|<|>)(.*)$", text, re.S)
    if not m:
        raise FilterError(f"cannot parse filter clause: {text!r}")
    key, op, raw = m.group(1), m.group(2), m.group(3)
    if op == "=|":
        raw = raw.strip()
        if not (raw.startswith("[") and raw.endswith("]")):
            raise FilterError(f"'=|' needs a [list]: {text!r}")
        return Clause(key, op, tuple(_unquote(v) for v in split_clauses(raw[1:-1])))
    value = _unquote(raw) if op != "=~" else _unquote_regex(raw)
    if op == "=~":
        try:
            re.compile(value)
        except re.error as exc:
            raise FilterError(f"bad regex in {text!r}: {exc}") from exc
    return Clause(key, op, value)


def _unquote_regex(raw: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        raw = raw[1:-1]
    # keep regex escapes, only undo the filter-level "\," escape
    return raw.replace("\\,", ",")


def parse(text: str | None) -> list[Clause]:
    """Parse a whole ``filter=`` string (None or empty means no clauses)."""
    if not text:
        return []
    return [parse_clause(part) for part in split_clauses(text)]


def lookup(doc: Any, key: str) -> Any:
    """Dotted-key lookup; lists along the way are flattened (``files.name``)."""
    values = [doc]
    for part in key.split("."):
        nxt: list[Any] = []
        for v in values:
            if isinstance(v, dict) and part in v:
                item = v[part]
                nxt.extend(item if isinstance(item, list) else [item])
            elif isinstance(v, list):
                nxt.extend(x[part] for x in v if isinstance(x, dict) and part in x)
        values = nxt
    return values


def _as_number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def _as_time(v: Any) -> datetime | None:
    if isinstance(v, datetime):
        return v if v.tzinfo else v.replace(tzinfo=UTC)
    if isinstance(v, str) and re.match(r"^\d{4}-\d{2}-\d{2}", v):
        try:
            ts = datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            return None
        return ts if ts.tzinfo else ts.replace(tzinfo=UTC)
    return None


def _compare(doc_value: Any, want: str) -> int | None:
    """-1/0/1 ordering of ``doc_value`` against the filter text, or None."""
    if doc_value is None:
        return 0 if want in ("null", "None") else None
    if isinstance(doc_value, bool):
        return 0 if str(doc_value).lower() == want.lower() else None
    a_num, b_num = _as_number(doc_value), _as_number(want)
    if a_num is not None and b_num is not None and not isinstance(doc_value, str):
        return (a_num > b_num) - (a_num < b_num)
    a_t, b_t = _as_time(doc_value), _as_time(want)
    if a_t is not None and b_t is not None:
        return (a_t > b_t) - (a_t < b_t)
    a = str(doc_value)
    return (a > want) - (a < want)


def _match_one(value: Any, clause: Clause) -> bool:
    op, want = clause.op, clause.value
    if op == "=|":
        assert isinstance(want, tuple)
        return any(_compare(value, w) == 0 for w in want)
    assert isinstance(want, str)
    if op == "=~":
        return value is not None and re.search(want, str(value)) is not None
    c = _compare(value, want)
    if c is None:
        return False
    return {"=": c == 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]


def matches(doc: Any, clauses: list[Clause]) -> bool:
    """True when every clause holds for ``doc``."""
    for clause in clauses:
        values = lookup(doc, clause.key)
        if clause.op == "!=":
            neg = Clause(clause.key, "=", clause.value)
            if any(_match_one(v, neg) for v in values):
                return False
            continue
        if not values:
            if clause.op == "=" and clause.value in ("null", "None"):
                continue
            return False
        if not any(_match_one(v, clause) for v in values):
            return False
    return True
