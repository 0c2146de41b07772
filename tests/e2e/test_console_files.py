"""The console's answer to `status project=P gear=G csv`: the CSV written under the data
directory's ``exports`` and its path printed, never over an earlier export."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from bot.console import answer
from bot.service.policy import Policy
from bot.store.db import Store
from localfw.demo_world import DEMO_ANALYST, DEMO_SESSIONS, EARLIER_RUNS_GEAR
from localfw.server import LocalFlywheel
from tests.fakes import REPO_CONFIGS
from tests.fixtures.accounts import build_linked_services, link

COMMAND = f"status project=gear_testing gear={EARLIER_RUNS_GEAR} csv"


def test_the_csv_is_written_under_the_data_dir_and_its_path_printed(
    demo_localfw: LocalFlywheel, sqlite_store: Store, tmp_path: Path
) -> None:
    services = build_linked_services(demo_localfw, sqlite_store, Policy(), REPO_CONFIGS)
    link(services, demo_localfw, DEMO_ANALYST)
    actor = services.identity.for_email(DEMO_ANALYST)
    exports = tmp_path / "exports"
    try:
        first = answer(COMMAND, actor, services, exports)
        second = answer(COMMAND, actor, services, exports)
    finally:
        services.workers.shutdown()

    paths = [Path(m) for out in (first, second) for m in re.findall(r"Written to (\S+)", out)]
    assert [p.parent for p in paths] == [exports, exports]
    assert paths[0].name == f"gear_testing_{EARLIER_RUNS_GEAR}_latest_runs.csv"
    assert paths[1].name == f"gear_testing_{EARLIER_RUNS_GEAR}_latest_runs-2.csv"
    rows = list(csv.DictReader(io.StringIO(paths[0].read_text())))
    assert len(rows) == DEMO_SESSIONS == len({r["session_id"] for r in rows})
    assert paths[1].read_text() == paths[0].read_text()
    assert first.startswith(f"{EARLIER_RUNS_GEAR} on gear_testing: ")
