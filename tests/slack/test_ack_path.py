"""The ack path does no I/O (issue 10, point 3), through the real bolt app over signed HTTP.

bolt's listener pool here has 8 threads (``slack_settings``) and fwbot's answer pool 4
running and 40 waiting. Flywheel is held shut with the fake gateway's gates, so any
ack that waited for an answer, a user lookup or a free listener thread would hang.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.settings import Settings
from bot.slack.answers import BUSY
from doubles.mock_slack import MockSlack
from tests.fakes import FakeFlywheelGateway
from tests.fixtures.slack import Slash, SlashCall

THREADS, BACKLOG = 4, 40


@pytest.fixture
def slack_settings(slack_settings: Settings) -> Settings:
    return slack_settings.model_copy(update={"answer_threads": THREADS, "answer_backlog": BACKLOG})


@pytest.fixture
def shut() -> threading.Event:
    return threading.Event()


def all_at_once(n: int, post: Callable[[int], SlashCall]) -> list[SlashCall]:
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(post, range(n)))


def test_a_users_first_command_is_acked_before_anyone_looks_them_up(
    slash: Slash,
    slack_gateway: FakeFlywheelGateway,
    mock_slack: MockSlack,
    shut: threading.Event,
) -> None:
    mock_slack.add_user("U0NEWBIE", "newbie@lab.org", "Nell")
    slack_gateway.user_gate = shut  # the Flywheel user lookup waits

    call = slash("gears", user_id="U0NEWBIE")

    assert (call.http.status, call.http.body) == (200, "")
    assert call.answers() == []  # still finding out who Nell is
    shut.set()
    assert "qsiprep-hpc" in call.answer()["text"]


def test_more_slow_commands_than_listener_threads_are_all_acked_then_all_answered(
    slash: Slash,
    slack_gateway: FakeFlywheelGateway,
    mock_slack: MockSlack,
    shut: threading.Event,
) -> None:
    slack_gateway.gate = shut  # every catalogue call waits: 40 answers stuck at once
    users = [f"U0USER{i % 20:02d}" for i in range(40)]  # 20 users, two commands each
    for user in set(users):
        mock_slack.add_user(user, f"{user.lower()}@lab.org", user)

    calls = all_at_once(40, lambda i: slash("gears", user_id=users[i]))

    assert [c.http.status for c in calls] == [200] * 40  # 5x bolt's 8 listener threads
    assert all(c.answers() == [] for c in calls)
    shut.set()
    assert all("qsiprep-hpc" in c.answer()["text"] for c in calls)


def test_a_full_answer_pool_says_busy_at_once_and_runs_nothing(
    slash: Slash, slack_gateway: FakeFlywheelGateway, shut: threading.Event
) -> None:
    slack_gateway.gate = shut
    held = all_at_once(THREADS + BACKLOG, lambda i: slash("gears"))
    slack_gateway.calls.clear()

    turned_away = slash("gear qsiprep-hpc")

    assert turned_away.http.status == 200
    busy = turned_away.answer()
    assert (busy["response_type"], busy["text"]) == ("ephemeral", BUSY)
    assert "try again" in busy["text"].casefold()
    assert "get_gear" not in slack_gateway.calls and "list_gears" not in slack_gateway.calls
    shut.set()
    assert all("qsiprep-hpc" in c.answer()["text"] for c in held)
    # once answers drain, the next command is served as usual
    assert "qsiprep-hpc" in slash("gears").answer()["text"]
