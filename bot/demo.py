"""`fwbot demo`: the embedded local Flywheel with its demo world, and the console on top.

The demo keeps its database in a temporary directory: the demo world is rebuilt
on every start, so batches from an earlier run would point at jobs that no
longer exist.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

import bot
from bot.bootstrap import Runtime, build_runtime
from bot.console import ConsoleNotifier, run_console
from bot.console_subscriptions import ConsoleSubscriptionNotifier
from bot.errors import FwbotError
from bot.scheduler import start_scheduler
from bot.service.policy import Policy
from bot.settings import Settings

DEMO_DOMAIN = "pennlinc.example"
DEFAULT_DEMO_USER = f"analyst@{DEMO_DOMAIN}"
# The demo's lab policy: one fwbot admin who has no role on any project.
DEMO_POLICY = Policy(bot_admins=[f"ops@{DEMO_DOMAIN}"], max_batch_without_approval=1500)
WATCH_INTERVAL = 2.0  # seconds: the demo's jobs run 60x faster than real ones
OUTSIDE_RUNS_INTERVAL = 5.0  # seconds between looks for batches launched outside fwbot

# The example configs at the top of the repository (a source checkout or editable install).
EXAMPLE_CONFIGS = Path(bot.__file__).resolve().parent.parent / "configs"

BANNER = """\
fwbot demo: a local Flywheel with project gear_testing (1,329 sessions with acq-64dir_dwi)
  local Flywheel API: {url}   SDK key: {key}
  acting as {email} (--as EMAIL: admin@, analyst@, viewer@, outsider@, ops@{domain})
  try: `gears`, `gear qsiprep-hpc`, `configs`, `launch qsiprep-hpc project=gear_testing`,
       `confirm`, `status`, `history`, `help`, `exit` (`wait 10` lets progress lines arrive)
  digest within a minute: `subscribe project=gear_testing events=done,failed,digest at=now`
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


def demo_configs_dir(cwd_configs: Path = Path("configs")) -> Path:
    """``./configs`` when run from a checkout's root, else the repository's example configs,
    so `fwbot demo` shows the same saved configs wherever it is started."""
    return cwd_configs if cwd_configs.is_dir() else EXAMPLE_CONFIGS


def link_demo_user(runtime: Runtime, email: str) -> None:
    """The demo's Flywheel knows every user's key, so the console's user is linked the way
    a person links in Slack (``/fw link``): the demo shows the linked path, their own key
    on every call. A name the demo Flywheel does not know (``ops@``, a fwbot admin by the
    lab's policy only) stays unlinked."""
    world = runtime.localfw.world
    with world.lock:
        found = [
            uid for uid, doc in world.users.items() if doc["email"].casefold() == email.casefold()
        ]
    if found:
        runtime.services.linking.link(None, email, runtime.localfw.sdk_key_for(found[0]))


def run_demo(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory(prefix="fwbot-demo-") as data_dir:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=Path(data_dir),
            flywheel_api_key=None,
            configs_dir=demo_configs_dir(),
        )
        try:
            runtime = build_runtime(
                settings,
                demo=True,
                demo_speed=args.speed,
                policy=DEMO_POLICY,
                notifier=ConsoleNotifier(sys.stdout, Path(data_dir) / "exports"),
                subscription_notifier=ConsoleSubscriptionNotifier(
                    sys.stdout, Path(data_dir) / "files"
                ),
            )
        except FwbotError as err:
            print(f"fwbot: {err.user_text()}", file=sys.stderr)
            return 1
        try:
            link_demo_user(runtime, args.as_email)
            actor = runtime.services.identity.for_email(args.as_email)
        except FwbotError as err:
            print(f"fwbot: {err.user_text()}", file=sys.stderr)
            runtime.close()
            return 2
        scheduler = start_scheduler(
            runtime.services.watcher,
            interval=WATCH_INTERVAL,
            notifications=runtime.services.notifications,
            outside_interval=OUTSIDE_RUNS_INTERVAL,
            later=runtime.services.later,
        )
        try:
            interactive = sys.stdin.isatty()
            if interactive:
                print(
                    BANNER.format(
                        url=runtime.localfw.url,
                        key=runtime.localfw.sdk_api_key,
                        email=actor.email,
                        domain=DEMO_DOMAIN,
                    )
                )
            code = run_console(
                runtime.services,
                actor,
                sys.stdin,
                sys.stdout,
                interactive=interactive,
                find_by_email=runtime.services.identity.for_email,
                exports_dir=settings.data_dir / "exports",
            )
            runtime.services.workers.wait_idle()  # let a launch that was confirmed finish
            return code
        finally:
            scheduler.shutdown(wait=False)
            runtime.close()
