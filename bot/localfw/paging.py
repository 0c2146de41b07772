"""List paging the way Flywheel's core-api does it for the SDK's finders.

Lists are bare JSON arrays. ``after_id`` paging walks ids in ascending order
(ids grow with creation, like ObjectIds); ``sort``/``skip``/``page`` are there
for the SDK's sorted ``iter_find``. A missing or zero ``limit`` means everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

Doc = dict[str, Any]


def _int(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {value!r}") from exc


def _sort_key(doc: Doc, *, key: str) -> tuple[int, Any]:
    value: Any = doc
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return (0, "")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (1, value)
    return (2, str(value))


def page(docs: Iterable[Doc], params: dict[str, str]) -> list[Doc]:
    """Apply ``sort``, ``after_id``, ``skip``/``page`` and ``limit`` from query params."""
    items = list(docs)
    sort = params.get("sort")
    limit = _int(params.get("limit"), "limit")
    if sort:
        for part in reversed([p for p in sort.split(",") if p]):
            key, _, direction = part.partition(":")
            reverse = direction.lower() in ("desc", "-1")
            items.sort(key=partial(_sort_key, key=key), reverse=reverse)
    else:
        items.sort(key=lambda d: str(d.get("_id", "")))
        after = params.get("after_id")
        if after:
            items = [d for d in items if str(d.get("_id", "")) > after]
    skip = _int(params.get("skip"), "skip") or 0
    page_no = _int(params.get("page"), "page")
    if page_no and limit:
        skip += (page_no - 1) * limit
    if skip:
        items = items[skip:]
    if limit:
        items = items[:limit]
    return items
