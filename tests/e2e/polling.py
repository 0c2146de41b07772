"""Waiting for a real process to do something, without asserting how fast it is."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(probe: Callable[[], T], timeout: float = 60.0, what: str = "") -> T:
    """Poll until ``probe()`` is truthy and return it (a generous timeout: behaviour, not
    speed); fail naming ``what`` when it never is."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what or probe}"
        time.sleep(0.05)
