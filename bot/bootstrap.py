"""Wiring: build the gateway, the services and (for the demo) the embedded local Flywheel.

Everything is built here, at run time, never at import (STYLE: no import-time wiring).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from bot.flywheel.sdk_gateway import SdkGateway
from bot.service import Services
from bot.service.gears import GearService

log = logging.getLogger(__name__)

DEMO_API_KEY = "fwbot-demo-key"


@dataclass
class Runtime:
    """The running pieces of one fwbot process, and how to stop them."""

    services: Services
    gateway: SdkGateway
    localfw: Any = None  # bot.localfw.server.LocalFlywheel when embedded
    _closers: list[Any] = field(default_factory=list)

    def close(self) -> None:
        if self.localfw is not None:
            self.localfw.stop()


def start_embedded_flywheel(*, speed: float = 60.0, seed: int = 7) -> Any:
    """Start the local Flywheel with the demo world on a free port (the embedded default)."""
    from bot.localfw.demo_world import build_demo_world
    from bot.localfw.server import LocalFlywheel
    from bot.localfw.simulator import ScaledClock

    world = build_demo_world(seed=seed)
    server = LocalFlywheel(world, api_key=DEMO_API_KEY, clock=ScaledClock(speed=speed))
    server.start(host="127.0.0.1", port=0)
    log.info("embedded local Flywheel at %s", server.url)
    return server


def build_services(gateway: SdkGateway) -> Services:
    return Services(gears=GearService(gateway))


def build_runtime(flywheel_api_key: str | None = None, *, demo_speed: float = 60.0) -> Runtime:
    """Connect to Flywheel (or start the embedded one when no key is given) and build services."""
    localfw = None
    if not flywheel_api_key:
        localfw = start_embedded_flywheel(speed=demo_speed)
        flywheel_api_key = localfw.sdk_api_key
    try:
        gateway = SdkGateway.connect(flywheel_api_key)
    except Exception:
        if localfw is not None:
            localfw.stop()
        raise
    return Runtime(services=build_services(gateway), gateway=gateway, localfw=localfw)
