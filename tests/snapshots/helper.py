"""Compare a rendered message with its checked-in JSON snapshot, or rewrite the snapshot.

A snapshot is ``<name>.json`` in this folder (like ``tests/commands/snapshots/``), written
with 2-space indents, non-ASCII kept as is and a final newline. A difference fails the
test with a unified diff of the two JSON texts; a missing snapshot fails too, saying how
to create it. With ``FWBOT_UPDATE_SNAPSHOTS=1`` in the environment the snapshot is
(re)written from what was rendered instead, and the test passes.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import pytest

SNAPSHOTS = Path(__file__).parent
UPDATE_ENV = "FWBOT_UPDATE_SNAPSHOTS"
UPDATE_COMMAND = f"{UPDATE_ENV}=1 .venv/bin/pytest -q -p no:cacheprovider tests/snapshots"


def snapshot_path(name: str) -> Path:
    return SNAPSHOTS / f"{name}.json"


def dump(data: Any) -> str:
    """The snapshot file's text for ``data`` (tuples become lists, as in any JSON)."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def updating() -> bool:
    return os.environ.get(UPDATE_ENV, "") == "1"


def assert_matches_snapshot(name: str, data: Any) -> None:
    """Fail unless ``data`` equals snapshot ``name``; ``FWBOT_UPDATE_SNAPSHOTS=1`` writes it."""
    path = snapshot_path(name)
    actual = dump(data)
    if updating():
        if not path.exists() or path.read_text(encoding="utf-8") != actual:
            path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(
            f"No snapshot {path.name} in {SNAPSHOTS}.\n"
            f"Create it from the current rendering, then read it and commit it:\n"
            f"    {UPDATE_COMMAND}",
            pytrace=False,
        )
    text = path.read_text(encoding="utf-8")
    expected = dump(json.loads(text))  # compare data, not the file's whitespace
    if expected == actual:
        return
    diff = "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            fromfile=f"{path.name} (checked in)",
            tofile=f"{path.name} (rendered now)",
        )
    )
    pytest.fail(
        f"Message {name!r} changed:\n{diff}\n"
        f"If the change is intended, rewrite the snapshot and commit it:\n"
        f"    {UPDATE_COMMAND}",
        pytrace=False,
    )
