"""The local Flywheel in a process of its own, as a real site is on a machine of its own.

In one process the bot, the SDK and the server share one interpreter lock, so the
server's work lands on the bot's clock; apart, the bot pays only for its own side of
each request. The parent steers the child over a pipe: reset the request log, read it
by route, read the most requests ever served at once.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any


class RemoteRequestLog:
    """The parts of ``localfw.knobs.RequestLog`` a benchmark reads, over the pipe."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _ask(self, op: str) -> Any:
        self._conn.send(op)
        return self._conn.recv()

    def reset(self) -> None:
        self._ask("reset")

    def by_route(self) -> Counter[tuple[str, str]]:
        return Counter(self._ask("by_route"))

    @property
    def max_in_flight(self) -> int:
        return int(self._ask("max_in_flight"))


class RemoteFlywheel:
    def __init__(self, conn: Connection, sdk_api_key: str) -> None:
        self.sdk_api_key = sdk_api_key
        self.requests = RemoteRequestLog(conn)


@contextmanager
def remote_flywheel(latency: float, api_key: str) -> Iterator[RemoteFlywheel]:
    """A fresh demo world served by a child process, ``latency`` seconds per request."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(child, latency, api_key), daemon=True)
    proc.start()
    try:
        yield RemoteFlywheel(parent, parent.recv())
    finally:
        parent.send("stop")
        proc.join(10)
        if proc.is_alive():
            proc.kill()


def _serve(conn: Connection, latency: float, api_key: str) -> None:
    from localfw.demo_world import build_demo_world
    from localfw.server import LocalFlywheel
    from localfw.simulator import SimClock

    server = LocalFlywheel(build_demo_world(), api_key=api_key, clock=SimClock())
    server.start(port=0)
    server.knobs.latency = latency
    conn.send(server.sdk_api_key)
    try:
        while True:
            op = conn.recv()
            if op == "stop":
                return
            if op == "reset":
                server.requests.reset()
                conn.send(None)
            elif op == "by_route":
                conn.send(dict(server.requests.by_route()))
            elif op == "max_in_flight":
                conn.send(server.requests.max_in_flight)
    finally:
        server.stop()
