"""The one way tests and benches wait: for a condition, never for the clock.

A fixed ``time.sleep`` guesses how long the machine needs; under load (the whole suite on
two cores) the guess is wrong and a correct fwbot fails. ``eventually`` polls a
condition instead, with a deadline generous enough never to be the thing measured: a
test asserts what a user would notice, not how fast it happened. A check that something
does *not* happen waits for a later event that proves the system moved past the point.

It lives in ``bench`` because the tests already import the benches (``bench.faults``,
``bench.hostile``) and the benches never import the tests; the test doubles
(``doubles.mock_slack``, ``doubles.fwbot_process``) wait with it too. It imports nothing
of fwbot.

``FWBOT_TEST_PATIENCE`` (seconds, default 60) raises every deadline on a slow machine;
pytest's own per-test ``--timeout`` (pyproject.toml) may then need raising too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

PATIENCE = float(os.environ.get("FWBOT_TEST_PATIENCE") or 60.0)
"""Seconds any wait in a test or bench may take before it fails: long past any healthy
run, so reaching it means the thing waited for is not coming."""

POLL = 0.02  # seconds between probes: cheap enough on two busy cores, quick enough to see


def eventually(
    probe: Callable[[], T | None],
    what: str,
    *,
    timeout: float | None = None,
    ignoring: tuple[type[Exception], ...] = (),
    every: float = POLL,
) -> T:
    """Poll ``probe()`` until it is truthy and return its value; fail naming ``what``.

    ``timeout`` only ever lengthens the wait (never below ``PATIENCE``). Exceptions of the
    ``ignoring`` types count as "not yet" (a server not listening yet); the last one is in
    the failure message. ``every`` is the pause between probes (a bench timing the moment
    a condition turns true probes more often)."""
    limit = max(timeout or 0.0, PATIENCE)
    deadline = time.monotonic() + limit
    last: Exception | None = None
    while True:
        try:
            value = probe()
        except ignoring as error:
            last = error
        else:
            if value:
                return value
        if time.monotonic() >= deadline:
            because = f" (last: {type(last).__name__}: {last})" if last is not None else ""
            raise AssertionError(
                f"waited {limit:.0f} s for {what}, in vain{because}; "
                "FWBOT_TEST_PATIENCE raises the deadline on a slow machine"
            )
        time.sleep(every)
