"""fwbot: Slack chat-ops for Flywheel analysis gears.

Commands: serve (the Slack bot), check (a doctor: says what is wrong with the
settings, Slack, Flywheel, the database, the saved configs and the policy, and how to
fix it), migrate (the database to the newest schema; serve does it at start),
demo (a /fw console on the local Flywheel), localfw (the local Flywheel alone),
link-key (a new key for FWBOT_LINK_ENCRYPTION_KEYS) and rotate-link-keys (a re-encryption
of every linked key under the first of them)."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fwbot", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    localfw = sub.add_parser("localfw", help="serve the local Flywheel API with the demo world")
    localfw.add_argument("--port", type=int, default=8090)
    localfw.add_argument("--host", default="127.0.0.1")
    localfw.add_argument("--api-key", default=None, help="API key clients must present")
    localfw.add_argument(
        "--speed", type=float, default=60.0, help="simulated seconds per real second"
    )
    demo = sub.add_parser("demo", help="the embedded local Flywheel and a /fw console")
    from bot.demo import add_arguments as add_demo_arguments

    add_demo_arguments(demo)
    serve = sub.add_parser("serve", help="run the Slack bot (Socket Mode unless --http is given)")
    serve.add_argument("--http", type=int, metavar="PORT", default=None, help="serve HTTP on PORT")
    serve.add_argument(
        "--host", default="0.0.0.0", help="bind address (--http's, or Socket Mode's /healthz)"
    )
    serve.add_argument(
        "--demo",
        action="store_true",
        help="without FWBOT_FLYWHEEL_API_KEY, serve the embedded demo Flywheel",
    )
    check = sub.add_parser(
        "check", help="say what is wrong with this deployment and how to fix it (exit 0: all ok)"
    )
    from bot.check import add_arguments as add_check_arguments

    add_check_arguments(check)
    sub.add_parser(
        "migrate", help="bring the database to the newest schema (`fwbot serve` does at start)"
    )
    sub.add_parser("link-key", help="print a new encryption key for FWBOT_LINK_ENCRYPTION_KEYS")
    sub.add_parser(
        "rotate-link-keys",
        help="re-encrypt every linked key under the first of FWBOT_LINK_ENCRYPTION_KEYS",
    )
    return parser


def run_serve(args: argparse.Namespace) -> int:
    """Load settings and run the Slack adapter; bad settings exit 2 with one clear message."""
    from bot.errors import FwbotError
    from bot.observe.logs import setup_logging
    from bot.settings import load_settings, require_slack

    try:
        settings = load_settings()
        require_slack(settings, "socket" if args.http is None else "http")
        setup_logging(
            settings.log_level, settings.log_format, secrets=settings.secret_values()
        )
        from bot.slack.serve import serve

        return serve(settings, http_port=args.http, host=args.host, demo=args.demo)
    except FwbotError as err:  # bad settings: one line, no traceback (Flywheel is retried)
        print(f"fwbot: {err.user_text()}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "localfw":
        from localfw.cli import run_localfw

        return run_localfw(args)
    if args.command == "demo":
        from bot.demo import run_demo

        return run_demo(args)
    if args.command == "serve":
        return run_serve(args)
    if args.command == "migrate":
        from bot.migrate import run_migrate

        return run_migrate(args)
    if args.command in ("link-key", "rotate-link-keys"):
        from bot.link_keys import run_link_key, run_rotate

        return run_link_key(args) if args.command == "link-key" else run_rotate(args)
    if args.command == "check":
        from bot.check import run_check

        return run_check(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
