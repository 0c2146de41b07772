"""How long the Launch click makes other writers wait, with a cold roles cache and a slow
Flywheel (issue 19: the click used to authorize inside its unit of work, holding SQLite's
one write lock for Flywheel's answer).

Run from the repository root::

    python -m bench.click                 # Flywheel answering after 1.5 s
    python -m bench.click --latency 3

A demo world is served in-process; bench.launch's analyst (linked with their own key) plans the
qsiprep-hpc batch, the roles cache is emptied, Flywheel slows to ``--latency`` per
request, and while the click runs another thread writes one audit row after another.
The figures are printed, never asserted; the goal: no write waits 50 ms or more.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.launch import linked_bot
from bench.table import render_table

GOAL_MS = 50.0


def measure(latency: float) -> tuple[float, list[float]]:
    """(the click's seconds, each concurrent audit write's milliseconds)."""
    from bot.flywheel.sdk_gateway import SdkGateway
    from bot.service.launch.plan_model import LaunchRequest
    from bot.service.policy import Policy
    from bot.store.db import Store
    from localfw.demo_world import DEMO_PROJECT, build_demo_world
    from localfw.server import LocalFlywheel
    from localfw.simulator import SimClock

    server = LocalFlywheel(build_demo_world(), clock=SimClock()).start()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.for_data_dir(Path(tmp))
        store.migrate()
        services, actor = linked_bot(
            server,
            SdkGateway.connect(server.sdk_api_key),
            store,
            Policy(max_batch_without_approval=5000),
            launch_mode="per-session",
        )
        waits: list[float] = []
        clicking = threading.Event()
        try:
            with services.linking.speaking_as(actor):
                ticket = services.launches.request(
                    actor, LaunchRequest("qsiprep-hpc", DEMO_PROJECT)
                )
                services.access.forget_roles()
                server.knobs.latency = latency

                def write_meanwhile() -> None:
                    while clicking.is_set():
                        start = time.perf_counter()
                        store.audit.record(actor_email="bench@x", action="bench", outcome="allowed")
                        waits.append((time.perf_counter() - start) * 1000)
                        time.sleep(0.01)  # the load: a write every 10 ms, not a wait

                clicking.set()
                writer = threading.Thread(target=write_meanwhile, daemon=True)
                writer.start()
                start = time.perf_counter()
                services.launches.confirm(actor, ticket.batch.id)
                click = time.perf_counter() - start
                clicking.clear()
                writer.join()
        finally:
            server.knobs.latency = 0.0
            services.workers.shutdown()
            store.dispose()
            server.stop()
    return click, waits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=1.5, help="Flywheel's seconds a request")
    args = parser.parse_args(argv)
    click, waits = measure(args.latency)
    worst = max(waits, default=0.0)
    rows = [
        ["the click (confirm)", f"{click:.2f} s", "", ""],
        ["audit writes during it", f"{len(waits)}", "", ""],
        [
            "longest write wait",
            f"{worst:.1f} ms",
            f"< {GOAL_MS:.0f} ms",
            "PASS" if worst < GOAL_MS else "MISS",
        ],
    ]
    print(render_table(["measure", "value", "goal", ""], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
