"""A launch through Flywheel's faults, an outage of job creation and a kill -9 of the bot
in the middle of it, then a new bot on the same database: every session gets exactly one
job, none is lost.

This is ``python -m bench.faults`` made smaller: a real `fwbot serve --http` process over
signed Slack requests, the local Flywheel serving the demo world from a process of its
own with 10% of all requests failing (500, 502, 503, 429 with Retry-After, connections
dropped before or after the request is handled), job creation down (503) for 3 s, SIGKILL
once half the sessions have a job. 150 sessions; the watcher every 5 s, so the new bot
takes the dead one's lease over soon after it lapses. Counted from the local Flywheel's
own jobs, not from what fwbot believes. Behaviour only: nothing here is timed.
"""

from __future__ import annotations

from bench.faults import Scenario, run


def test_kill_9_mid_launch_under_faults_and_an_outage_launches_every_session_once() -> None:
    out = run(
        Scenario(sessions=150, latency=0.1, outage=3.0, watch_interval=5.0, timeout=120.0),
        say=lambda line: None,
    )

    assert out.targets == 150
    assert 0 < out.jobs_at_outage < out.jobs_at_kill < out.targets  # killed mid-launch
    assert out.random_faults > 0 and sum(out.injected.values()) > out.random_faults
    assert out.duplicates == 0 and out.extra_jobs == 0
    assert out.missing == 0 and out.strays == 0
    assert out.launched == 150
    assert out.failed == 0 and out.state == "launched"
