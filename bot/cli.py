"""`fwbot` entry points: demo, console, serve, localfw."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fwbot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    localfw = sub.add_parser("localfw", help="serve the local Flywheel API with the demo world")
    localfw.add_argument("--port", type=int, default=8090)
    localfw.add_argument("--host", default="127.0.0.1")
    localfw.add_argument("--api-key", default=None, help="API key clients must present")
    localfw.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "localfw":
        from bot.localfw.cli import run_localfw

        return run_localfw(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
