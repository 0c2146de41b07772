"""List paging the way Flywheel's core-api does it for the SDK's finders.

Lists are bare JSON arrays. ``after_id`` paging walks ids in ascending order
(ids grow with creation, like ObjectIds); ``sort``/``skip``/``page`` are there
for the SDK's sorted ``iter_find``. As strict as the real server: ``limit`` must
be a positive integer, ``after_id`` "Cannot be used with sort, page or skip"
(SDK docstring), a site caps a page at ``max_page_size`` items, and a request
without ``limit`` gets one page of ``default_page_size`` items (the SDK's finder:
"core-api now requires a page limit"). Only endpoints the SDK cannot page (no
``limit`` parameter) pass ``default_page_size=None`` and answer everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

Doc = dict[str, Any]

MAX_PAGE_SIZE = 1000
"""Largest page a site serves; a bigger ``limit`` gets at most this many items."""

DEFAULT_PAGE_SIZE = 100
"""Items a listing without ``limit`` answers: deliberately below fwbot's page size."""

_DIRECTIONS = {"": False, "asc": False, "1": False, "desc": True, "-1": True}


@dataclass(frozen=True)
class Paging:
    """Validated paging parameters."""

    sort: list[tuple[str, bool]]  # (key, descending)
    after_id: str | None
    limit: int | None
    skip: int
    page: int | None


def _int(params: Mapping[str, str], name: str, *, minimum: int) -> int | None:
    if name not in params:
        return None
    value = params[name]
    number = int(value) if re.fullmatch(r"-?[0-9]+", value) else minimum - 1
    if number < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return number


def _sort(text: str) -> list[tuple[str, bool]]:
    out = []
    for part in text.split(","):
        key, _, direction = part.strip().partition(":")
        if not key or direction.lower() not in _DIRECTIONS:
            raise ValueError(f"bad sort {part!r}: expected key:asc or key:desc")
        out.append((key, _DIRECTIONS[direction.lower()]))
    return out


def validate(params: Mapping[str, str]) -> Paging:
    """Parse paging query params; ValueError (HTTP 400) for anything Flywheel refuses."""
    after_id = params.get("after_id")
    if after_id is not None:
        clash = [name for name in ("sort", "skip", "page") if name in params]
        if clash:
            raise ValueError(f"after_id cannot be used with {', '.join(clash)}")
        if not after_id:
            raise ValueError("after_id must not be empty")
    return Paging(
        sort=_sort(params["sort"]) if "sort" in params else [],
        after_id=after_id,
        limit=_int(params, "limit", minimum=1),
        skip=_int(params, "skip", minimum=0) or 0,
        page=_int(params, "page", minimum=1),
    )


def _sort_key(doc: Doc, *, key: str) -> tuple[int, Any]:
    value: Any = doc
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return (0, "")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (1, value)
    return (2, str(value))


def page(
    docs: Iterable[Doc],
    params: Mapping[str, str],
    *,
    max_page_size: int = MAX_PAGE_SIZE,
    default_page_size: int | None = DEFAULT_PAGE_SIZE,
) -> list[Doc]:
    """Apply ``sort``, ``after_id``, ``skip``/``page`` and ``limit`` from query params;
    no ``limit`` means ``default_page_size`` (None: everything), capped like any limit."""
    p = validate(params)
    items = list(docs)
    if p.sort:
        for key, descending in reversed(p.sort):
            items.sort(key=partial(_sort_key, key=key), reverse=descending)
    else:
        items.sort(key=lambda d: str(d.get("_id", "")))
        if p.after_id:
            items = [d for d in items if str(d.get("_id", "")) > p.after_id]
    limit = p.limit if p.limit is not None else default_page_size
    if limit is not None:
        limit = min(limit, max_page_size)
    skip = p.skip
    if p.page and limit:
        skip += (p.page - 1) * limit
    items = items[skip:]
    return items if limit is None else items[:limit]
