"""Start to ready, and resident memory once idle, of `fwbot serve --http 0`.

Run from the repository root::

    python -m bench.startup              # 3 starts each, with and without the embedded Flywheel
    python -m bench.startup --runs 5 --idle 5

Each start is a fresh process running fwbot's own entry point (``bot.cli.main``, what
the ``fwbot`` script runs) as ``fwbot serve --http 0 --host 127.0.0.1``, configured
only through ``FWBOT_*`` variables, against the test suite's mock Slack (nothing is
asked of Slack at start: bolt's ``auth.test`` waits for the first request):

- embedded Flywheel: no ``FWBOT_FLYWHEEL_API_KEY``, so the bot starts the local
  Flywheel and builds the demo world inside its own process (what `make demo` and a
  trial install do);
- external Flywheel: the local Flywheel runs in this process and the bot gets its
  API key, as it would get a real site's: the bot hosts no world of its own.

"Ready" is the first ``GET /healthz`` answered 200, timed from just before the
process is spawned (the interpreter's start and every import included). Memory is
``VmRSS`` from ``/proc/<pid>/status`` after ``--idle`` seconds of ready and idle,
with ``VmHWM`` (the peak) next to it. The figures are printed, never asserted; the
budget (DESIGN.md, "Budgets") is under 150 MB resident and under 3 s to ready.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.polling import PATIENCE, eventually
from bench.table import render_table
from doubles.mock_slack import MockSlack

BUDGET_READY_S = 3.0
BUDGET_RSS_MB = 150.0
API_KEY = "bench-key"
REPO = Path(__file__).resolve().parent.parent
LISTENING = re.compile(r"HTTP mode on http://[^:]+:(\d+)/")
ENTRY = "import sys; from bot.cli import main; sys.exit(main())"  # the `fwbot` script


@dataclass
class Start:
    ready_s: float
    rss_mb: float
    peak_mb: float


@dataclass
class Row:
    name: str
    starts: list[Start]

    @property
    def ready(self) -> float:
        return statistics.median(s.ready_s for s in self.starts)

    @property
    def rss(self) -> float:
        return statistics.median(s.rss_mb for s in self.starts)


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of ``pid`` in MB."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024  # kB
    return fields["VmRSS"], fields["VmHWM"]


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=PATIENCE) as resp:
            return int(resp.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def start_once(env: dict[str, str], idle: float) -> Start:
    """Spawn `fwbot serve --http 0`, wait for /healthz, idle, read its memory, stop it."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**env, "FWBOT_DATA_DIR": tmp}
        started = time.perf_counter()
        proc = subprocess.Popen(
            # --demo: without a key, serve the embedded demo Flywheel (else it exits 2)
            [sys.executable, "-c", ENTRY, "serve", "--http", "0", "--host", "127.0.0.1", "--demo"],
            cwd=tmp,  # no stray .env from the working directory
            env=env,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        try:
            port = _wait_for_port(proc)

            def answered() -> bool:
                if proc.poll() is not None:
                    raise RuntimeError("fwbot serve exited before answering /healthz")
                return healthy(port)

            eventually(answered, "fwbot serve to answer /healthz", every=0.005)
            ready = time.perf_counter() - started
            time.sleep(idle)  # the figure is memory after this long idle, not a wait for it
            rss, peak = memory_mb(proc.pid)
            return Start(ready, rss, peak)
        finally:
            _stop(proc)


def _wait_for_port(proc: subprocess.Popen[str]) -> int:
    """The port from the runner's "HTTP mode on ..." log line; stderr keeps draining after."""
    assert proc.stderr is not None
    stderr = proc.stderr
    lines: list[str] = []
    for line in stderr:
        lines.append(line)
        match = LISTENING.search(line)
        if match:
            threading.Thread(target=lambda: [None for _ in stderr], daemon=True).start()
            return int(match.group(1))
    raise RuntimeError("fwbot serve exited before listening:\n" + "".join(lines[-20:]))


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # serve's KeyboardInterrupt path: a clean stop
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def external_flywheel() -> Iterator[str]:
    """The local Flywheel with the demo world, in this process; yields its SDK API key."""
    from localfw.demo_world import build_demo_world
    from localfw.server import LocalFlywheel
    from localfw.simulator import SimClock

    server = LocalFlywheel(build_demo_world(), api_key=API_KEY, clock=SimClock())
    server.start(host="127.0.0.1", port=0)
    try:
        yield server.sdk_api_key
    finally:
        server.stop()


def base_env(mock: MockSlack) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FWBOT_")}
    env.update(
        {
            "FWBOT_SLACK_BOT_TOKEN": "xoxb-fwbot-bench",
            "FWBOT_SLACK_SIGNING_SECRET": "bench-signing-secret",
            "FWBOT_SLACK_API_URL": mock.api_url,
            "FWBOT_CONFIGS_DIR": str(REPO / "configs"),
            "FWBOT_LOG_LEVEL": "INFO",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
            ),
        }
    )
    return env


def table(rows: list[Row]) -> str:
    header = ("", "starts", "ready (median)", "ready (max)", "RSS idle (median)", "RSS peak (max)")
    lines = [header]
    for r in rows:
        lines.append(
            (
                r.name,
                str(len(r.starts)),
                f"{r.ready:.2f} s",
                f"{max(s.ready_s for s in r.starts):.2f} s",
                f"{r.rss:.0f} MB",
                f"{max(s.peak_mb for s in r.starts):.0f} MB",
            )
        )
    return render_table(lines[0], lines[1:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.startup",
        description="Start-to-ready time and idle resident memory of `fwbot serve --http 0`.",
    )
    parser.add_argument("--runs", type=int, default=3, help="starts of each kind (3)")
    parser.add_argument(
        "--idle", type=float, default=2.0, help="seconds idle after ready before reading RSS (2)"
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.idle < 0:
        parser.error("--runs needs at least 1 and --idle at least 0")

    print(
        f"`fwbot serve --http 0`, {args.runs} fresh processes each; RSS after {args.idle:g} s idle",
        flush=True,
    )
    mock = MockSlack().start()
    rows: list[Row] = []
    try:
        env = base_env(mock)
        embedded = [start_once(env, args.idle) for _ in range(args.runs)]
        rows.append(Row("embedded Flywheel (demo world)", embedded))
        with external_flywheel() as key:
            ext_env = {**env, "FWBOT_FLYWHEEL_API_KEY": key}
            external = [start_once(ext_env, args.idle) for _ in range(args.runs)]
        rows.append(Row("external Flywheel (API key)", external))
    finally:
        mock.stop()

    print()
    print(table(rows))
    print()
    for r in rows:
        ready_ok = r.ready < BUDGET_READY_S
        rss_ok = r.rss < BUDGET_RSS_MB
        print(
            f"target: start to ready < {BUDGET_READY_S:.0f} s, {r.name}: "
            f"{'PASS' if ready_ok else 'MISS'} ({r.ready:.2f} s)"
        )
        print(
            f"target: idle RSS < {BUDGET_RSS_MB:.0f} MB, {r.name}: "
            f"{'PASS' if rss_ok else 'MISS'} ({r.rss:.0f} MB)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
