"""Fixtures of the gateway tests: the small lab world (``lab_world``) served by a local
Flywheel on a SimClock (``lab``), whose key is fwbot's plain one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localfw.server import LocalFlywheel
from localfw.world import World
from tests.fixtures.localfw import serving
from tests.flywheel.lab_world import build_lab_world


@pytest.fixture
def lab_world() -> World:
    return build_lab_world()


@pytest.fixture
def lab(lab_world: World) -> Iterator[LocalFlywheel]:
    yield from serving(lab_world, "lab-key")
