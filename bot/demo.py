"""`fwbot demo`: the embedded local Flywheel with its demo world, and the console on top."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.bootstrap import build_runtime
from bot.console import console_actor, run_console
from bot.errors import FwbotError

DEFAULT_DEMO_USER = "analyst@pennlinc.example"

BANNER = """\
fwbot demo: a local Flywheel with project gear_testing (1,329 sessions with acq-64dir_dwi)
  local Flywheel API: {url}   SDK key: {key}
  acting as {email} (use --as EMAIL to change); type `help`, `gears`, `gear qsiprep-hpc`, `exit`
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as",
        dest="as_email",
        default=DEFAULT_DEMO_USER,
        metavar="EMAIL",
        help="the Flywheel user to act as (default: %(default)s)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=60.0,
        help="simulated seconds per real second for the job simulator",
    )


def run_demo(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        runtime = build_runtime(None, demo_speed=args.speed)
    except FwbotError as err:
        print(f"fwbot: {err.user_text()}", file=sys.stderr)
        return 1
    try:
        interactive = sys.stdin.isatty()
        if interactive:
            print(
                BANNER.format(
                    url=runtime.localfw.url, key=runtime.localfw.sdk_api_key, email=args.as_email
                )
            )
        return run_console(
            runtime.services,
            console_actor(args.as_email),
            sys.stdin,
            sys.stdout,
            interactive=interactive,
        )
    finally:
        runtime.close()
