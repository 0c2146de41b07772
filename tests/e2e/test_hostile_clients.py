"""Hostile clients against a real `fwbot serve --http` process (issue 10's acceptance):
each refused with the right status, threads and memory bounded, nothing logged at INFO,
and a genuine command served once they are gone. ``python -m bench.hostile`` prints the
same figures."""

from __future__ import annotations

from pathlib import Path

from bench.hostile import SPARE_THREADS, attack, running_bot
from bot.slack.runner import MAX_CONNECTIONS


def test_a_huge_body_idle_connections_and_malformed_requests_cost_nothing_lasting(
    tmp_path: Path,
) -> None:
    with running_bot(tmp_path) as bot:
        out = attack(bot, idle=300)

    assert out.big_body_status == 413 and out.big_body_sent_mb < 10  # never read whole
    assert (out.invalid_utf8_status, out.bad_timestamp_status) == (400, 401)
    assert out.idle_refused >= 300 - MAX_CONNECTIONS  # over the limit: closed, no thread
    assert out.worst.threads <= out.before.threads + MAX_CONNECTIONS + SPARE_THREADS
    assert out.worst.rss_mb - out.before.rss_mb < 64  # not the 10 MB body, nor a copy of it
    assert out.after.threads <= out.before.threads + SPARE_THREADS  # gone with their clients
    assert out.genuine_acked and out.genuine_answered
    assert out.log_lines == []  # nothing at INFO or above: the log cannot be flooded
