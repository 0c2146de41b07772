"""``fwbot_batches`` reads the store at each scrape, but a hung database never hangs the
scrape: the counts are left out of that page, one read at a time is under way, and the
next scrape after the database answers has them again (``bot.observe.metrics``)."""

from __future__ import annotations

import threading

import pytest

from bench.polling import PATIENCE, eventually
from bot.observe import metrics


def test_a_hung_database_leaves_the_batches_out_of_the_scrape_instead_of_hanging_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(metrics._BATCHES, "read_timeout", 0.2)
    answer = threading.Event()
    reads: list[int] = []

    def hung_database() -> dict[str, int]:
        reads.append(1)
        answer.wait(PATIENCE)
        return {"launched": 3, "planned": 0}

    unwatch = metrics.watch_batches(hung_database)
    try:
        page = metrics.render().decode()
        assert "fwbot_batches{" not in page  # left out, and the page still served
        assert "process_resident_memory_bytes" in page
        eventually(lambda: reads, "the read under way")  # its thread may start late
        assert "fwbot_batches{" not in metrics.render().decode()
        assert len(reads) == 1  # the second scrape waited on the same read

        answer.set()
        eventually(
            lambda: metrics.sample("fwbot_batches", {"state": "launched"}) == 3,
            "the answered read in a scrape",
        )
        assert metrics.sample("fwbot_batches", {"state": "planned"}) == 0
    finally:
        answer.set()
        unwatch()


def test_a_database_that_refuses_leaves_the_batches_out_until_it_answers() -> None:
    down = True

    def database() -> dict[str, int]:
        if down:
            raise ConnectionError("connection refused")
        return {"complete": 2}

    unwatch = metrics.watch_batches(database)
    try:
        assert "fwbot_batches{" not in metrics.render().decode()
        down = False
        eventually(  # a scrape waits BATCHES_READ_TIMEOUT (2 s) for the read: not on a busy box
            lambda: metrics.sample("fwbot_batches", {"state": "complete"}) == 2,
            "the counts back in a scrape",
        )
    finally:
        unwatch()
