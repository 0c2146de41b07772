"""The scheduler's one-shot jobs (the service's ``Later`` port): a launch held by another
process is tried again through them, not through a private timer."""

from __future__ import annotations

import threading

from bench.polling import PATIENCE, eventually
from bot.scheduler import SchedulerLater


def test_a_named_one_shot_runs_once_and_asking_again_replaces_it() -> None:
    later = SchedulerLater()
    ran: list[str] = []
    done = threading.Event()

    def second() -> None:
        ran.append("second")
        done.set()

    try:
        later.once("launch-b7k2q", 30.0, lambda: ran.append("first"))
        later.once("launch-b7k2q", 0.01, second)  # the same launch asked again: one job
        assert done.wait(PATIENCE)
        eventually(lambda: later.scheduler.get_job("launch-b7k2q") is None, "the job to end")
    finally:
        later.shutdown()
    assert ran == ["second"]
