"""Posting within Slack's limits, against the mock Slack's Web API."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from bot.domain.delivery import NOT_DELIVERED, Posted
from bot.service.notify import ChannelGone
from bot.slack import posting
from bot.slack.posting import SlackPoster
from doubles.mock_slack import MockSlack


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def poster(mock_slack: MockSlack, slept: list[float]) -> SlackPoster:
    """A poster on a clock of its own that only its sleeps move: the pauses it takes are
    exactly those the pacing asks for, however slow the machine."""
    now = [1000.0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    client = WebClient(token="xoxb-test", base_url=mock_slack.api_url)
    return SlackPoster(client, sleep=sleep, clock=lambda: now[0])


def test_posts_to_one_channel_are_a_second_apart_other_channels_do_not_wait(
    poster: SlackPoster, slept: list[float]
) -> None:
    poster.post_message("C1", "one")
    poster.post_message("C2", "elsewhere")
    poster.post_message("C1", "two")

    assert slept == [1.0]  # only C1's second post waited, a second after its first


def test_a_poster_keeps_no_lock_or_slot_for_channels_it_is_done_with(
    poster: SlackPoster, slept: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(posting, "PACED_CHANNELS", 1)
    poster.post_message("C1", "one")
    poster.post_message("C2", "elsewhere")
    poster.post_message("C1", "two")  # C1's slot is still ahead: kept, so this one waits

    assert len(slept) == 1 and len(poster._channel_locks) == 0
    idle = SlackPoster(poster._client, min_interval=0, sleep=slept.append)
    for n in range(5):
        idle.post_message(f"C{n}", "hello")
    assert len(idle._next_slot) <= 2  # slots already passed pace nothing: forgotten


def test_a_rate_limited_post_is_sent_again_after_retry_after(
    poster: SlackPoster, mock_slack: MockSlack, slept: list[float]
) -> None:
    mock_slack.rate_limit("chat.postMessage", calls=2, retry_after=7)

    posted = poster.post_message("C1", "hello", thread_ts="1.1", broadcast=True)

    assert isinstance(posted, Posted) and posted.ts
    assert slept == [7.0, 7.0]  # each Retry-After, and those 7 s are past any pacing
    posts = mock_slack.calls("chat.postMessage")
    assert len(posts) == 3 and posts[-1].args["reply_broadcast"] in (True, "true", "1")


def test_a_channel_the_bot_left_raises_channel_gone(
    poster: SlackPoster, mock_slack: MockSlack
) -> None:
    mock_slack.channel_errors["C1"] = "not_in_channel"

    with pytest.raises(ChannelGone) as gone:
        poster.post_message("C1", "hello")

    assert (gone.value.channel, gone.value.reason) == ("C1", "not_in_channel")


def test_a_file_is_shared_in_a_thread(poster: SlackPoster, mock_slack: MockSlack) -> None:
    assert poster.share_file("C1", "failed.csv", b"session,reason\n", thread_ts="9.9")

    [shared] = mock_slack.files("C1")
    assert (shared.filename, shared.thread_ts, shared.content) == (
        "failed.csv",
        "9.9",
        b"session,reason\n",
    )


def test_other_errors_are_not_delivered_and_not_raised(
    poster: SlackPoster, mock_slack: MockSlack
) -> None:
    mock_slack.api_errors["chat.postMessage"] = "invalid_blocks"

    assert poster.post_message("C1", "x") == NOT_DELIVERED
