"""The local Flywheel in a process of its own, as a real site is on a machine of its own.

In one process the bot, the SDK and the server share one interpreter lock, so the
server's work lands on the bot's clock; apart, the bot pays only for its own side of
each request. The parent steers the child over a pipe: reset the request log, read it
by route, read the most requests ever served at once; inject faults (``set_errors``, an
outage of some routes) and read what Flywheel itself holds (the jobs carrying a tag).
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any


class RemoteRequestLog:
    """The parts of ``localfw.knobs.RequestLog`` a benchmark reads, over the pipe."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _ask(self, op: str | tuple[Any, ...]) -> Any:
        self._conn.send(op)
        return self._conn.recv()

    def reset(self) -> None:
        self._ask("reset")

    def by_route(self) -> Counter[tuple[str, str]]:
        return Counter(self._ask("by_route"))

    @property
    def max_in_flight(self) -> int:
        return int(self._ask("max_in_flight"))

    def count(self) -> int:
        """Requests served (or refused, or dropped) since the last reset."""
        return int(self._ask(("count",)))

    def times(self, method: str, route: str, status: int = 200) -> list[float]:
        """When (``time.monotonic()``, one clock for every process of the machine) each
        request to ``METHOD /route/{template}`` answered with ``status`` was served."""
        return list(self._ask(("times", method, route, status)))


class RemoteFlywheel:
    def __init__(self, conn: Connection, sdk_api_key: str) -> None:
        self.sdk_api_key = sdk_api_key
        self.requests = RemoteRequestLog(conn)
        self._conn = conn

    def _ask(self, *op: Any) -> Any:
        self._conn.send(op)
        return self._conn.recv()

    # -- faults (``localfw.knobs.Knobs``) -----------------------------------
    def set_errors(
        self,
        rate: float,
        kinds: Sequence[str] = ("500",),
        route: str | None = None,
        retry_after: int = 1,
    ) -> None:
        self._ask("set_errors", rate, tuple(kinds), route, retry_after)

    def set_outage(self, route: str | None = None, kinds: Sequence[str] = ("503",)) -> None:
        self._ask("set_outage", route, tuple(kinds))

    def clear_outage(self) -> None:
        self._ask("clear_outage")

    def clear_faults(self) -> None:
        """No injected errors, no outage (the latency stays)."""
        self._ask("clear_faults")

    def injected(self) -> Counter[str]:
        """Error kind -> requests it was injected into, since the server started."""
        return Counter(self._ask("injected"))

    def sdk_key_for_email(self, email: str) -> str | None:
        """The key that user would link with (``LocalFlywheel.sdk_key_for_email``)."""
        key: str | None = self._ask("sdk_key_for_email", email)
        return key

    # -- what Flywheel holds ------------------------------------------------
    def jobs_per_session(self, tag: str) -> Counter[str]:
        """Session id -> the jobs carrying ``tag`` whose destination is in that session."""
        return Counter(self._ask("jobs_per_session", tag))

    def sessions_with_acquisition(self, project: str, acquisition: str) -> dict[str, str]:
        """Session id -> subject label, for the project's sessions having that acquisition."""
        return dict(self._ask("sessions_with_acquisition", project, acquisition))


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
            elif isinstance(op, tuple):
                conn.send(_answer(server, op[0], op[1:]))
            else:
                raise ValueError(f"unknown operation {op!r}")
    finally:
        server.stop()


def _answer(server: Any, op: str, args: tuple[Any, ...]) -> Any:
    """The pipe's tuple operations: faults and what the server holds."""
    knobs, world = server.knobs, server.world
    if op == "count":
        return len(server.requests.records)
    if op == "times":
        method, route, status = args
        return [
            r.at
            for r in server.requests.records
            if r.method == method and r.route == route and r.status == status
        ]
    if op == "set_errors":
        rate, kinds, route, retry_after = args
        knobs.set_errors(rate, kinds, route, retry_after)
    elif op == "set_outage":
        knobs.set_outage(*args)
    elif op == "clear_outage":
        knobs.clear_outage()
    elif op == "clear_faults":
        knobs.error_rate = 0.0
        knobs.clear_outage()
    elif op == "injected":
        return dict(knobs.injected)
    elif op == "jobs_per_session":
        [tag] = args
        with world.lock:
            return dict(
                Counter(
                    (job.get("parents") or {}).get("session") or ""
                    for job in world.jobs.values()
                    if tag in (job.get("tags") or [])
                )
            )
    elif op == "sdk_key_for_email":
        return server.sdk_key_for_email(*args)
    elif op == "sessions_with_acquisition":
        project_label, acquisition = args
        with world.lock:
            project = next(p for p in world.projects.values() if p["label"] == project_label)
            found = {
                a["parents"]["session"]
                for a in world.acquisitions.values()
                if a["label"] == acquisition and a["parents"].get("project") == project["_id"]
            }
            return {
                sid: world.subjects[world.sessions[sid]["parents"]["subject"]]["label"]
                for sid in found
            }
    else:
        raise ValueError(f"unknown operation {op!r}")
    return None
