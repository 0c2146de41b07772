"""Hostile clients against a real `fwbot serve --http` process: what each gets, and what it
costs the process.

Run from the repository root::

    python -m bench.hostile                 # 300 idle connections, a 10 MB body, ...

A real fwbot process (``doubles/fwbot_process.py``) on the embedded-free set-up of the
tests: the local Flywheel in this process, the mock Slack, a temporary SQLite store. Then,
unauthenticated, as anyone on the network could:

1. a 10 MB POST (its Content-Length announced, the body sent as fast as the server reads);
2. 300 connections opened and left idle, all at once;
3. a signed-looking body with invalid UTF-8, and a non-numeric ``X-Slack-Request-Timestamp``.

Printed: each answer's status, the process's threads and resident memory (from
``/proc/<pid>/status``) before, at the worst moment and after, whether a genuine signed
command is still acked and answered once the idle clients are gone, and every log line
the attacks caused at INFO or above (there should be none). Figures are printed, never
asserted; ``tests/e2e/test_hostile_clients.py`` asserts the behaviour.

Nothing here sleeps to let the server catch up: it waits for events that prove it did (a
connection opened after the idle ones taken, their threads ended, a later command's last
log line), so a loaded machine changes how long it takes, never what is printed.
"""

from __future__ import annotations

import argparse
import re
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.polling import PATIENCE, eventually
from doubles.fwbot_process import FwbotProcess, fwbot_env
from doubles.mock_slack import MockSlack
from localfw.demo_world import DEMO_ANALYST, build_demo_world
from localfw.server import LocalFlywheel
from localfw.simulator import SimClock

USER = "U0ALICE"
BIG = 10 * 1024 * 1024


@dataclass(frozen=True)
class Usage:
    threads: int
    rss_mb: float


@dataclass
class Outcome:
    """What the hostile clients got, and what they cost."""

    big_body_status: int = 0
    big_body_sent_mb: float = 0.0  # how much of the 10 MB the server let in before answering
    invalid_utf8_status: int = 0
    bad_timestamp_status: int = 0
    idle_opened: int = 0
    idle_refused: int = 0  # connections the server closed at once (over its limit)
    before: Usage = Usage(0, 0.0)
    worst: Usage = Usage(0, 0.0)
    after: Usage = Usage(0, 0.0)
    genuine_acked: bool = False
    genuine_answered: bool = False
    log_lines: list[str] = field(default_factory=list)  # INFO and above, during the attacks


def usage(pid: int) -> Usage:
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return Usage(int(fields["Threads"]), int(fields["VmRSS"].split()[0]) / 1024)


def _raw(port: int, request: bytes, body: bytes = b"") -> tuple[int, int]:
    """Send a request (and as much of ``body`` as the server reads); (status, bytes sent)."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as conn:
        conn.sendall(request)
        try:
            view = memoryview(body)
            while sent < len(body):
                sent += conn.send(view[sent : sent + 65536])
        except OSError:
            pass  # the server answered and closed: the rest was never read
        try:
            head = conn.recv(4096)
        except OSError:
            return 0, sent
    parts = head.split(b" ", 2)
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0), sent


def _post(path: str, headers: dict[str, str], length: int) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {length}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SIGNED_LOOKING = {"X-Slack-Signature": "v0=" + "0" * 64}


SPARE_THREADS = 16  # threads a settled process may add beyond its start's (pools, probes)
REQUEST_ID = re.compile(r"\[(req-[0-9a-f]+)\]")


def _taken(port: int) -> None:
    """Return once the server has taken every connection opened before this call.

    One thread accepts, in order: a connection opened after the others, answered or closed
    unread, proves the server took (or refused) each one before it."""
    with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as probe:
        try:
            probe.sendall(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            probe.recv(1)
        except TimeoutError:
            raise AssertionError(f"the server took no connection in {PATIENCE:.0f} s") from None
        except OSError:
            pass  # closed unread: over the limit, taken all the same


def _settled(bot: FwbotProcess, before: Usage) -> Usage:
    """The process's usage once the idle clients' threads have ended (they end as their
    clients leave)."""
    most = before.threads + SPARE_THREADS

    def settled() -> Usage | None:
        now = usage(bot.pid)
        return now if now.threads <= most else None

    return eventually(settled, f"the idle clients' threads to end (at most {most} threads)")


def _answered_line(bot: FwbotProcess, command: str, start: int) -> str:
    """Wait for ``/fw <command> answered in`` (its last line, logged after the answer) in
    the log past ``start``; returns that line."""
    marker = f"/fw {command} answered in"
    return eventually(
        lambda: next((ln for ln in bot.log()[start:].splitlines() if marker in ln), ""),
        f"the log line {marker!r}",
    )


def attack(bot: FwbotProcess, idle: int) -> Outcome:
    out = Outcome(before=usage(bot.pid))
    log_start = len(bot.log())

    headers = {**FORM, **SIGNED_LOOKING, "X-Slack-Request-Timestamp": str(int(time.time()))}
    out.big_body_status, sent = _raw(bot.port, _post("/slack/events", headers, BIG), b"x" * BIG)
    out.big_body_sent_mb = sent / 1024 / 1024
    out.worst = usage(bot.pid)

    bad = b"command=%2Ffw&text=\xff\xfe"
    out.invalid_utf8_status, _ = _raw(bot.port, _post("/slack/events", headers, len(bad)) + bad)
    stamp = {**FORM, **SIGNED_LOOKING, "X-Slack-Request-Timestamp": "yesterday"}
    body = b"command=%2Ffw&text=gears"
    out.bad_timestamp_status, _ = _raw(bot.port, _post("/slack/events", stamp, len(body)) + body)

    with _idle_connections(bot.port, idle) as conns:
        _taken(bot.port)
        out.idle_opened = len(conns)
        out.idle_refused = sum(1 for c in conns if _closed(c))
        now = usage(bot.pid)
        out.worst = Usage(max(out.worst.threads, now.threads), max(out.worst.rss_mb, now.rss_mb))
    out.after = _settled(bot, out.before)

    genuine_start = len(bot.log())
    command = bot.post("gears", USER)
    out.genuine_acked = command.http.status == 200
    try:
        out.genuine_answered = bool(bot.answer(command).get("text"))
    except AssertionError:
        out.genuine_answered = False
    # Every line the attacks could cause is in by now (their threads ended, and a later
    # command was answered and logged); the genuine command's own lines are left out.
    genuine = ""
    if out.genuine_answered:
        found = REQUEST_ID.search(_answered_line(bot, "gears", genuine_start))
        genuine = found.group(1) if found else ""
    out.log_lines = [
        line
        for line in bot.log()[log_start:].splitlines()
        if any(level in line for level in ("INFO", "WARNING", "ERROR", "Traceback"))
        and not (genuine and f"[{genuine}]" in line)
    ]
    return out


@contextmanager
def _idle_connections(port: int, n: int) -> Iterator[list[socket.socket]]:
    conns: list[socket.socket] = []
    try:
        for _ in range(n):
            conns.append(socket.create_connection(("127.0.0.1", port), timeout=PATIENCE))
        yield conns
    finally:
        for conn in conns:
            conn.close()


def _closed(conn: socket.socket) -> bool:
    """The server closed this connection (it was over the limit)."""
    conn.setblocking(False)
    try:
        return conn.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        conn.setblocking(True)


@contextmanager
def running_bot(tmp: Path) -> Iterator[FwbotProcess]:
    """localfw (demo world) and the mock Slack in this process, fwbot in its own."""
    lf = LocalFlywheel(build_demo_world(), api_key="hostile-key", clock=SimClock())
    lf.start(host="127.0.0.1", port=0)
    mock = MockSlack().start()
    mock.add_user(USER, DEMO_ANALYST, "Andy")
    env = fwbot_env(mock, flywheel_api_key=lf.sdk_api_key, data_dir=tmp / "data")
    bot = FwbotProcess(env, tmp / "bot", mock, flywheel=lf).start()
    try:
        bot.wait_ready()
        start = len(bot.log())
        bot.ask("help", USER)  # warm: the first command's imports are not the attack's cost
        _answered_line(bot, "help", start)
        yield bot
    finally:
        bot.stop()
        mock.stop()
        lf.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hostile", description=__doc__)
    parser.add_argument("--idle", type=int, default=300, help="idle connections (300)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, running_bot(Path(tmp)) as bot:
        out = attack(bot, args.idle)
    print("hostile clients against a real `fwbot serve --http`")
    print(f"  10 MB body: HTTP {out.big_body_status} after {out.big_body_sent_mb:.2f} MB sent")
    print(f"  invalid UTF-8: HTTP {out.invalid_utf8_status}")
    print(f"  non-numeric timestamp: HTTP {out.bad_timestamp_status}")
    print(
        f"  {out.idle_opened} idle connections: {out.idle_refused} closed at once "
        "(over the limit of connections served at once)"
    )
    print(
        f"  threads {out.before.threads} before, {out.worst.threads} at worst, "
        f"{out.after.threads} after; resident {out.before.rss_mb:.0f} MB before, "
        f"{out.worst.rss_mb:.0f} MB at worst, {out.after.rss_mb:.0f} MB after"
    )
    print(
        f"  a genuine command afterwards: acked {out.genuine_acked}, "
        f"answered {out.genuine_answered}"
    )
    print(f"  log lines at INFO or above caused by the attacks: {len(out.log_lines)}")
    for line in out.log_lines[:10]:
        print(f"    {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
