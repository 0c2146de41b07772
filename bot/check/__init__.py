"""`fwbot check`: a doctor for a deployment. It says, one line per check, what is wrong
with the settings, the policy file, Slack, Flywheel, the project roles, the database and
the saved configs, and how to fix it; exit 0 only when nothing failed.

``checks`` holds one function per check, ``report`` renders the lines (or JSON). It reads
and never writes: no migration, no Socket Mode connection, no launch.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["add_arguments", "run_check"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--mode",
        choices=("socket", "http"),
        default="socket",
        help="the Slack mode to check: socket (as `fwbot serve`, the default) or http "
        "(as `fwbot serve --http PORT`)",
    )


@contextmanager
def _quiet() -> Iterator[None]:
    """No library logging or warnings on the report (and never a traceback); restored after."""
    before = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(before)


def run_check(args: argparse.Namespace) -> int:
    """Run every check and print the report; 0 when none failed, else 1."""
    from bot.check.checks import run_checks
    from bot.check.report import as_json, as_text, passed

    with _quiet():
        results = run_checks(args.mode)
    print(as_json(results) if args.json else as_text(results, sys.stdout))
    return 0 if passed(results) else 1
