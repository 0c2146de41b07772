"""The image's HEALTHCHECK: does `fwbot serve` answer its liveness probe?

Finds the `fwbot serve` process among /proc/*/cmdline (in the image: tini's child), and
healthy means ``GET /healthz`` answers 200 within the timeout:

- HTTP mode (`serve --http PORT`): on ``http://127.0.0.1:PORT/healthz``;
- Socket Mode (no ``--http``): on its health server's port, ``FWBOT_HEALTH_PORT`` of this
  environment (the container's, which fwbot has too), 8080 when unset.
- No `fwbot serve` process: unhealthy.

Standard library only; exit 0 healthy, 1 not, with one line saying why. Kubernetes
does not use this (its probes GET /healthz and /readyz themselves).
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

HEALTH_PATH = "/healthz"  # bot.slack.runner.HEALTH_PATH (tests check they agree)
HEALTH_PORT = 8080  # bot.settings.Settings.health_port's default (tests check they agree)
TIMEOUT = 3.0


def health_port(environ: Mapping[str, str] = os.environ) -> int:
    """Socket Mode's health port: ``FWBOT_HEALTH_PORT``, else the default."""
    value = environ.get("FWBOT_HEALTH_PORT", "").strip()
    return int(value) if value else HEALTH_PORT


def serve_args(argv: Sequence[str]) -> list[str] | None:
    """The arguments after `fwbot serve` in a process's argv, or None when it is not one.
    `fwbot` may be argv[0] (the console script run directly) or argv[1] (under python)."""
    for i, arg in enumerate(argv[:2]):
        if Path(arg).name == "fwbot" and i + 1 < len(argv) and argv[i + 1] == "serve":
            return list(argv[i + 2 :])
    return None


def http_port(args: Sequence[str]) -> int | None:
    """The port of `--http PORT` / `--http=PORT` among serve's arguments; None: Socket Mode."""
    for i, arg in enumerate(args):
        value = None
        if arg == "--http" and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--http="):
            value = arg.split("=", 1)[1]
        if value is not None:
            return int(value)
    return None


def processes(proc: Path = Path("/proc")) -> Iterable[list[str]]:
    """Every readable process's argv."""
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if raw:
            yield raw.rstrip(b"\0").decode(errors="replace").split("\0")


def check(
    argvs: Iterable[Sequence[str]], timeout: float = TIMEOUT, socket_port: int | None = None
) -> tuple[bool, str]:
    """(healthy, why) for the first `fwbot serve` among ``argvs``; ``socket_port`` is
    Socket Mode's health port (default: ``health_port()``)."""
    for argv in argvs:
        args = serve_args(argv)
        if args is None:
            continue
        port = http_port(args)
        if port is None:
            port = socket_port if socket_port is not None else health_port()
        url = f"http://127.0.0.1:{port}{HEALTH_PATH}"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as answer:
                status = int(answer.status)
        except urllib.error.HTTPError as err:
            status = err.code
        except OSError as err:
            return False, f"{url}: {err}"
        return status == 200, f"{url}: HTTP {status}"
    return False, "no `fwbot serve` process is running"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proc", type=Path, default=Path("/proc"), help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=TIMEOUT)
    options = parser.parse_args(argv)
    healthy, why = check(processes(options.proc), options.timeout)
    print(("healthy: " if healthy else "unhealthy: ") + why)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
