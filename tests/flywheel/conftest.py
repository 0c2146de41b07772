"""Fixtures of the gateway tests: the small lab world (``lab_world``) served by a local
Flywheel on a SimClock (``lab``), whose key is fwbot's plain one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localfw.server import LocalFlywheel
from localfw.simulator import SimClock
from localfw.world import World
from tests.fixtures.localfw import test_settings
from tests.flywheel.lab_world import build_lab_world


@pytest.fixture
def lab_world() -> World:
    return build_lab_world()


@pytest.fixture
def lab(lab_world: World) -> Iterator[LocalFlywheel]:
    lf = LocalFlywheel(
        lab_world, api_key="lab-key", clock=SimClock(), simulator_settings=test_settings()
    )
    lf.start(port=0)
    try:
        yield lf
    finally:
        lf.stop()
