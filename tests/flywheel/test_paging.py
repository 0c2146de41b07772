"""The one paging rule every gateway listing goes through (``bot.flywheel.paging``)."""

from __future__ import annotations

from bot.flywheel.paging import Doc, PageReader, every_item

ITEMS = [{"_id": f"{n:024x}"} for n in range(1, 8)]


def _reader(cap: int, asked: list[tuple[int, str | None]], *, after_ok: bool = True) -> PageReader:
    def read(limit: int, after: str | None) -> list[Doc]:
        asked.append((limit, after))
        rest = [i for i in ITEMS if after is None or not after_ok or i["_id"] > after]
        return rest[: min(limit, cap)]

    return read


def test_a_capped_site_is_read_past_its_short_first_page() -> None:
    asked: list[tuple[int, str | None]] = []
    assert list(every_item(_reader(2, asked), page_size=1000)) == ITEMS
    assert [limit for limit, _ in asked] == [1000] * 4  # 2, 2, 2, then 1: shorter, the end


def test_an_uncapped_small_listing_costs_one_empty_page_more() -> None:
    asked: list[tuple[int, str | None]] = []
    assert list(every_item(_reader(1000, asked), page_size=1000)) == ITEMS
    assert len(asked) == 2 and asked[1][1] == ITEMS[-1]["_id"]


def test_a_site_ignoring_after_id_ends_at_the_first_page_that_brings_nothing_new() -> None:
    asked: list[tuple[int, str | None]] = []
    assert list(every_item(_reader(1000, asked, after_ok=False), page_size=1000)) == ITEMS
    assert len(asked) == 2
