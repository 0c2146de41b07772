"""SIGTERM in the middle of a launch (docker stop, a Kubernetes rollout): the real
`fwbot serve` process stops on its own within the grace period, exit code 0, and a new
process on the same database finishes the launch: every session gets exactly one job.

``bench.faults`` with ``stop_with="term"``, no faults and no outage: SIGTERM is a clean
stop, so its lease is given back and nothing waits for it to lapse. Behaviour only."""

from __future__ import annotations

from bench.faults import Scenario, run


def test_sigterm_mid_launch_exits_cleanly_and_the_next_bot_launches_the_rest_once() -> None:
    out = run(
        Scenario(
            sessions=150,
            latency=0.1,
            rate=0.0,
            outage=0.0,
            kill_at=0.4,
            stop_with="term",
            grace=30.0,
            watch_interval=5.0,
            timeout=120.0,
        ),
        say=lambda line: None,
    )

    assert out.exit_code == 0  # stopped on its own, not killed at the end of the grace
    assert 0 < out.jobs_at_kill < out.targets == 150  # stopped mid-launch
    assert out.duplicates == 0 and out.extra_jobs == 0 and out.strays == 0
    assert out.missing == 0 and out.launched == 150
    assert out.failed == 0 and out.state == "launched"
