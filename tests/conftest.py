"""Shared fixtures live in tests/fixtures/ and are loaded here as plugins."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

pytest_plugins = [
    "tests.fixtures.localfw",
    "tests.fixtures.demo",
    "tests.fixtures.slack",
    "tests.fixtures.store",
]

# A use case that calls Flywheel inside its unit of work fails the test (in this process
# and in every bot process a test starts, which inherits the environment).
os.environ["FWBOT_STRICT_UNITS"] = "1"


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    """A test that runs `fwbot serve` in-process sets up logging on that test's captured
    stderr (``bot.observe.logs.setup_logging``); put pytest's handlers back after it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
