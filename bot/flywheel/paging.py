"""Reading a whole Flywheel listing: never trust one answer.

A listing asked without ``limit`` may come back as one default page (the SDK's finder:
"core-api now requires a page limit"), and a site may cap ``limit`` below what was asked.
So every listing is asked with an explicit ``limit`` and walked with ``after_id`` until an
empty page, or a page shorter than the first (a capped site answers full pages of its own
size until the last one). A short first page is no proof of the end, so a small listing
costs one more request (answered ``[]``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

PAGE_SIZE = 1000

Doc = dict[str, Any]
# (limit, after_id or None) -> one page of items
PageReader = Callable[[int, str | None], list[Doc]]


def every_item(read_page: PageReader, page_size: int = PAGE_SIZE) -> Iterator[Doc]:
    """Every item of a listing, in the server's order, each once.

    Also stops at a page that brings no item not already seen: a site that ignores
    ``after_id`` would otherwise answer its first page forever."""
    after: str | None = None
    first: int | None = None
    seen: set[str] = set()
    while True:
        page = read_page(page_size, after)
        fresh = [item for item in page if item_id(item) not in seen]
        seen.update(item_id(item) for item in fresh)
        yield from fresh
        if not fresh or (first is not None and len(page) < first):
            return
        first = first or len(page)
        after = item_id(page[-1])


def item_id(item: Doc) -> str:
    """A listed document's id: most models read ``_id``, jobs sometimes ``id``."""
    return str(item.get("_id") or item.get("id") or "")


def page_args(limit: int, after_id: str | None) -> dict[str, Any]:
    """The SDK's paging keyword arguments for one page."""
    return {"limit": limit, **({"after_id": after_id} if after_id else {})}
