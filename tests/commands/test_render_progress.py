"""The progress bar, its percentage and the rough ETA, as a phone shows them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import BatchState
from bot.service.launch.progress import BatchView
from commands.render.batch import (
    BAR_PARTS,
    BAR_WIDTH,
    duration,
    percent_complete,
    progress,
    progress_bar,
    progress_line,
)
from tests.snapshots import inputs

SYMBOL = dict(BAR_PARTS)
GREEN, RED, CANCELLED, RUNNING, QUEUED = (SYMBOL[p] for p, _ in BAR_PARTS)
T0 = datetime(2024, 5, 14, 10, 0, tzinfo=UTC)


def view(jobs: dict[str, int], *, launched: int = 1_329, **more: object) -> BatchView:
    return BatchView(
        batch=inputs.LAUNCHED,
        targets=launched,
        launched=launched,
        launch_failed=0,
        jobs=jobs,
        **more,  # type: ignore[arg-type]
    )


def cells(bar: str) -> dict[str, int]:
    counts = {}
    rest = bar
    for name, symbol in BAR_PARTS:
        counts[name] = rest.count(symbol)
        rest = rest.replace(symbol, "")
    assert rest == "", f"unexpected characters in the bar: {rest!r}"
    return counts


def test_a_batch_whose_jobs_were_all_cancelled_shows_no_done_bar() -> None:
    line = progress_line(view({"cancelled": 1_329}))

    assert line.startswith(CANCELLED * BAR_WIDTH + " 0% · 0/1,329 complete · 1,329 cancelled")
    assert GREEN not in line


def test_all_failed_is_red_and_zero_percent() -> None:
    line = progress_line(view({"failed": 1_329}))

    assert line.startswith(RED * BAR_WIDTH + " 0% · 0/1,329 complete · 1,329 failed")


def test_a_few_failures_still_show_and_keep_it_under_100_percent() -> None:
    line = progress_line(view({"complete": 1_326, "failed": 3}))

    bar = line.split(" ")[0]
    assert cells(bar) == {"complete": 9, "failed": 1, "cancelled": 0, "running": 0, "queued": 0}
    assert " 99% · 1,326/1,329 complete · 3 failed" in line


def test_only_every_job_complete_is_a_full_green_bar() -> None:
    assert progress_line(view({"complete": 1_329})).startswith(GREEN * BAR_WIDTH + " 100% ·")


def test_each_state_with_jobs_gets_at_least_one_cell_and_the_bar_keeps_its_width() -> None:
    counts = [("complete", 1_000), ("failed", 1), ("cancelled", 1), ("running", 1), ("queued", 326)]

    found = cells(progress_bar(counts))

    assert sum(found.values()) == BAR_WIDTH
    assert all(found[name] >= 1 for name, _ in counts)
    assert found["complete"] > found["queued"] >= 1


@pytest.mark.parametrize(
    "jobs",
    [
        {"complete": 5, "failed": 5, "cancelled": 5, "running": 5, "pending": 5},
        {"complete": 1, "pending": 99_999},
        {"running": 3},
        {"complete": 7, "failed": 2, "cancelled": 1},
    ],
)
def test_the_bar_is_always_its_width_and_in_state_order(jobs: dict[str, int]) -> None:
    bar = progress_line(view(jobs, launched=sum(jobs.values()))).split(" ")[0]

    found = cells(bar)
    assert sum(found.values()) == BAR_WIDTH
    order = [name for name, symbol in BAR_PARTS for _ in range(found[name])]
    assert bar == "".join(SYMBOL[name] for name in order)


def test_launched_jobs_not_yet_seen_in_flywheel_count_as_queued() -> None:
    line = progress_line(view({}, launched=400))

    assert line.startswith(QUEUED * BAR_WIDTH + " 0% · 0/400 complete · 400 queued")


def test_running_and_queued_are_counted_apart() -> None:
    line = progress_line(view({"complete": 600, "running": 48, "pending": 681}))

    assert "600/1,329 complete · 48 running · 681 queued" in line
    assert " 45% " in line


def test_percent_rounds_down_and_never_reaches_100_early() -> None:
    assert percent_complete(0, 0) == 0
    assert percent_complete(1, 3) == 33
    assert percent_complete(1_328, 1_329) == 99
    assert percent_complete(1_329, 1_329) == 100


# -- time --------------------------------------------------------------------------
def test_the_eta_is_the_jobs_left_at_the_rate_jobs_have_ended() -> None:
    running = view(
        {"complete": 90, "failed": 10, "running": 100, "pending": 200},
        launched=400,
        started_at=T0,
        as_of=T0 + timedelta(hours=1),
    )

    assert running.eta == timedelta(hours=3)
    assert progress_line(running).endswith("running 1 h, about 3 h left")


def test_no_eta_before_a_tenth_of_the_jobs_have_ended() -> None:
    """Jobs started together end together: the first few ends say little about the rest."""
    waiting = view({"running": 10}, launched=10, started_at=T0, as_of=T0 + timedelta(minutes=20))
    early = view(
        {"complete": 9, "running": 1_320},
        started_at=T0,
        as_of=T0 + timedelta(minutes=54),
        end_times=tuple(T0 + timedelta(minutes=48 + i) for i in range(6)),
    )

    assert waiting.eta is None and early.eta is None
    assert progress_line(waiting).endswith("running 20 min")
    assert progress_line(early).endswith("running 54 min")


def test_the_eta_follows_the_recent_rate_of_ends_when_there_is_one() -> None:
    """700 jobs ended in the last 20 minutes of an 80-minute run: 600 left take ~17 min,
    not the 69 minutes the whole run's rate would say."""
    now = T0 + timedelta(minutes=80)
    recent = view(
        {"complete": 700, "running": 600},
        launched=1_300,
        started_at=T0,
        as_of=now,
        end_times=tuple(now - timedelta(seconds=i) for i in range(700)),
    )

    assert recent.eta == timedelta(minutes=20) * 600 / 700
    assert progress_line(recent).endswith("running 1 h 20 min, about 17 min left")


def test_a_finished_batch_says_how_long_it_took_from_flywheels_times() -> None:
    done = replace(
        view(
            {"complete": 9, "failed": 1},
            launched=10,
            started_at=T0,
            ended_at=T0 + timedelta(hours=2, minutes=14),
            as_of=T0 + timedelta(days=3),  # read much later: the duration is the jobs'
        ),
        batch=replace(inputs.COMPLETE, state=BatchState.COMPLETE),
    )

    assert done.eta is None
    assert progress_line(done).endswith("took 2 h 14 min")


def test_durations_read_like_a_person_would_say_them() -> None:
    assert duration(timedelta(seconds=40)) == "under a minute"
    assert duration(timedelta(minutes=11, seconds=59)) == "11 min"
    assert duration(timedelta(hours=2)) == "2 h"
    assert duration(timedelta(hours=2, minutes=14)) == "2 h 14 min"
    assert duration(timedelta(days=3, hours=4, minutes=5)) == "3 d 4 h"
    assert duration(timedelta(days=2)) == "2 d"


# -- the link --------------------------------------------------------------------------
def test_the_message_links_the_project_in_flywheels_web_ui() -> None:
    linked = view({"running": 1}, launched=1, site_url="https://upenn.flywheel.io/")
    url = f"https://upenn.flywheel.io/#/projects/{inputs.PROJECT.project_id}"

    reply = progress(linked)

    assert f"<{url}|{inputs.PROJECT.label} in Flywheel>" in str(reply.blocks)
    assert f"Flywheel: {url}" in reply.console_text()
    assert "in Flywheel" not in str(progress(view({"running": 1}, launched=1)).blocks)
