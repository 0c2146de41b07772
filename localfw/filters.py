"""Flywheel's ``filter=`` query syntax: parse once, then match documents.

Flywheel filters are ``key<op>value`` clauses joined by commas. Operators:
``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``=~`` (regex) and ``=|[a,b]`` (in).
Keys may be dotted (``parents.project``); a clause on a list field matches when
any element does. This imitation is as strict as Flywheel (MongoDB) is:

* Every unescaped comma outside ``=|[...]`` separates clauses, quoted or not:
  the SDK says commas that are not separators "must be escaped with backslash".
  ``\\,`` is the only escape; any other backslash stays in the value.
* A quoted value (``"..."`` or ``'...'``) is always a string. An unquoted value of
  24 lowercase hex digits is an ObjectId. Other unquoted values are literals:
  numbers compare as numbers, ISO timestamps as timestamps, ``null`` is null.
* Documents hold ObjectIds as 24-hex strings and dates as ISO strings, so a
  document value is an ObjectId iff it matches ``^[0-9a-f]{24}$``. ObjectIds only
  match ObjectIds, strings only match (non-ObjectId, non-date) strings.
* ``=~`` with an unquoted pattern is a regex searched anywhere in a string value;
  a quoted pattern is a literal string, not a regex, and matches nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Longest operators first so "<=" is not read as "<".
OPERATORS = ("=~", "=|", "!=", "<=", ">=", "=", "<", ">")
OBJECT_ID = re.compile(r"[0-9a-f]{24}")
# How localfw serialises BSON dates (world.iso): these are dates, not strings, in Flywheel.
_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
_CLAUSE = re.compile(r"^([A-Za-z0-9_.\-]+)\s*(=~|=\||!=|<=|>=|=|<|>)(.*)$", re.S)


class FilterError(ValueError):
    """A filter string the server cannot parse (served as HTTP 400)."""


@dataclass(frozen=True)
class Value:
    """One filter value; ``quoted`` decides its type (quoted is always a string)."""

    text: str
    quoted: bool = False

    @property
    def is_object_id(self) -> bool:
        return not self.quoted and OBJECT_ID.fullmatch(self.text) is not None

    @property
    def is_null(self) -> bool:
        return not self.quoted and self.text in ("null", "None")


@dataclass(frozen=True)
class Clause:
    key: str
    op: str
    value: Value | tuple[Value, ...]


def split_clauses(text: str) -> list[str]:
    """Split on commas that are neither escaped (``\\,``) nor inside an ``=|[...]`` list.

    Quotes do not protect commas (the SDK: commas not used as separators must be escaped).
    """
    parts: list[str] = []
    buf: list[str] = []
    in_list = False
    i = 0
    while i < len(text):
        ch = text[i]
        if text.startswith("\\,", i):
            buf.append("\\,")
            i += 2
            continue
        if ch == "[" and not in_list and "".join(buf).rstrip().endswith("=|"):
            in_list = True
        elif ch == "]" and in_list:
            in_list = False
        elif ch == "," and not in_list:
            parts.append("".join(buf))
            buf = []
            i += 1
            continue
        buf.append(ch)
        i += 1
    if in_list:
        raise FilterError(f"unterminated '=|[' list in filter: {text!r}")
    parts.append("".join(buf))
    return [p for p in (part.strip() for part in parts) if p]


def parse_value(raw: str) -> Value:
    """Strip one pair of matching quotes; ``\\,`` becomes ``,``, other backslashes stay.

    A quote can't be escaped, so a quote of the value's own kind inside it, an
    unterminated quote or a stray quote in an unquoted value is a syntax error.
    """
    raw = raw.strip()
    quote = raw[:1] if raw[:1] in ("'", '"') else ""
    body = raw
    if quote:
        if len(raw) < 2 or raw[-1] != quote:
            raise FilterError(f"unterminated quote in filter value: {raw!r}")
        body = raw[1:-1]
        if quote in body:
            raise FilterError(f"unescapable {quote} inside quoted filter value: {raw!r}")
    elif '"' in raw or "'" in raw:
        raise FilterError(f"quote inside unquoted filter value: {raw!r}")
    return Value(body.replace("\\,", ","), quoted=bool(quote))


def parse_clause(text: str) -> Clause:
    m = _CLAUSE.match(text)
    if not m:
        raise FilterError(f"cannot parse filter clause: {text!r}")
    key, op, raw = m.group(1), m.group(2), m.group(3).strip()
    if op == "=|":
        if not (raw.startswith("[") and raw.endswith("]")):
            raise FilterError(f"'=|' needs a [list]: {text!r}")
        return Clause(key, op, tuple(parse_value(v) for v in split_clauses(raw[1:-1])))
    value = parse_value(raw)
    if op == "=~" and not value.quoted:
        try:
            re.compile(value.text)
        except re.error as exc:
            raise FilterError(f"bad regex in {text!r}: {exc}") from exc
    return Clause(key, op, value)


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


def is_object_id(doc_value: Any) -> bool:
    """Document ObjectIds are stored as 24 lowercase hex digits."""
    return isinstance(doc_value, str) and OBJECT_ID.fullmatch(doc_value) is not None


def _is_plain_string(doc_value: Any) -> bool:
    """A Mongo string: not an ObjectId, not a serialised date."""
    return (
        isinstance(doc_value, str)
        and not is_object_id(doc_value)
        and _DATE_TEXT.fullmatch(doc_value) is None
    )


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


def _order(a: Any, b: Any) -> int:
    return int(a > b) - int(a < b)


def _literal_compare(doc_value: Any, want: str) -> int | None:
    """Unquoted, non-ObjectId literal: numbers, booleans, null, timestamps, text."""
    if doc_value is None:
        return 0 if want in ("null", "None") else None
    if isinstance(doc_value, bool):
        return 0 if str(doc_value).lower() == want.lower() else None
    a_num, b_num = _as_number(doc_value), _as_number(want)
    if a_num is not None and b_num is not None and not isinstance(doc_value, str):
        return _order(a_num, b_num)
    a_t, b_t = _as_time(doc_value), _as_time(want)
    if a_t is not None and b_t is not None:
        return _order(a_t, b_t)
    return _order(str(doc_value), want)


def _compare(doc_value: Any, want: Value) -> int | None:
    """-1/0/1 ordering of ``doc_value`` against ``want``, or None when the types differ."""
    if want.is_object_id or is_object_id(doc_value):
        both = want.is_object_id and is_object_id(doc_value)
        return _order(doc_value, want.text) if both else None
    if want.quoted:
        return _order(doc_value, want.text) if _is_plain_string(doc_value) else None
    return _literal_compare(doc_value, want.text)


def _match_one(value: Any, clause: Clause) -> bool:
    op, want = clause.op, clause.value
    if isinstance(want, tuple):
        return any(_compare(value, w) == 0 for w in want)
    if op == "=~":
        if want.quoted or not _is_plain_string(value):
            return False
        return re.search(want.text, value) is not None
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
            if clause.op == "=" and isinstance(clause.value, Value) and clause.value.is_null:
                continue
            return False
        if not any(_match_one(v, clause) for v in values):
            return False
    return True
