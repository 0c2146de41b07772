"""``fwbot localfw``: serve the demo world over HTTP until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
import threading
from datetime import UTC, datetime

from localfw.server import LocalFlywheel
from localfw.simulator import ScaledClock
from localfw.world import World

DEMO_API_KEY = "fwbot-demo-key"


def _tiny_world() -> World:
    """Fallback when the demo world module is missing: one project, a few sessions."""
    world = World(seed=7, service_account="fwbot@local")
    world.add_user("admin@local", "Local", "Admin", root=True)
    world.add_user("fwbot@local", "fwbot", "Service Account")
    world.add_group("demo", "Demo")
    project = world.add_project(
        "demo",
        "gear_testing",
        file_names=["license.txt"],
        roles={"admin@local": "admin", "fwbot@local": "read-write"},
    )
    for i in range(5):
        subject = world.add_subject(project, f"sub-{i:02d}")
        session = world.add_session(subject, "ses-01", datetime(2023, 1, 1 + i, tzinfo=UTC))
        world.add_acquisition(session, "acq-64dir_dwi", ["dwi.nii.gz"])
    return world


def load_demo_world(seed: int = 7) -> World:
    try:
        from localfw.demo_world import build_demo_world
    except ImportError as exc:
        print(f"demo world unavailable ({exc}); serving a tiny fallback world", file=sys.stderr)
        return _tiny_world()
    return build_demo_world(seed)


def run_localfw(args: argparse.Namespace) -> int:
    world = load_demo_world()
    api_key = args.api_key or DEMO_API_KEY
    lf = LocalFlywheel(world, api_key=api_key, clock=ScaledClock(args.speed))
    try:
        lf.start(host=args.host, port=args.port)
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(f"local Flywheel serving {lf.url}")
    print(f"fwbot API key ({lf.user}, a plain user): {lf.sdk_api_key}")
    admin = world.site_admin()
    print(f"site admin API key ({admin}): {lf.key_for(admin)}")
    print(
        f"{len(world.projects)} projects, {len(world.sessions)} sessions, "
        f"{len(world.gears)} gears; jobs run at {args.speed:g}x. Ctrl-C to stop."
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("stopping")
    finally:
        lf.stop()
    return 0
