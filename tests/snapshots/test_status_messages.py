"""The project-status, batch-list and retry messages, snapshotted whole
(``status/<case>.json``): headline first, counts before lists, a text fallback, the
console text, and the CSV a user asks for; within Block Kit's limits."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain import BatchState, JobState, SessionRef
from bot.domain.runs import ProjectRun
from bot.service.launch.retry import RetryTicket
from bot.service.project_status import (
    BatchList,
    GearLine,
    GearStatus,
    Outcome,
    ProjectOverview,
    SessionStatus,
)
from commands.render import retry as render_retry
from commands.render import status as render
from commands.render.blocks import MAX_BLOCKS, MAX_SECTION_TEXT
from commands.reply import Reply
from tests.snapshots import inputs
from tests.snapshots.helper import assert_matches_snapshot

NOW = datetime(2024, 5, 15, 9, 0, tzinfo=UTC)
SESSIONS = 1_329
# how the 1,329 sessions stand: drawn in a fixed pattern, so the counts are the snapshot's
PATTERN = (
    [Outcome.GOOD] * 40
    + [Outcome.FAILED] * 3
    + [Outcome.NO_OUTPUTS]
    + [Outcome.RUNNING]
    + [Outcome.NONE]
)


def _run(i: int, outcome: Outcome) -> ProjectRun | None:
    if outcome is Outcome.NONE:
        return None
    state = {
        Outcome.GOOD: JobState.COMPLETE,
        Outcome.NO_OUTPUTS: JobState.COMPLETE,
        Outcome.RUNNING: JobState.RUNNING,
        Outcome.FAILED: JobState.FAILED if i % 2 else JobState.CANCELLED,
    }[outcome]
    files = ("sub-x_qsiprep.html.zip", "log.txt") if outcome is Outcome.GOOD else ("log.txt",)
    return ProjectRun(
        analysis_id=f"6650aa{i:018x}",
        job_id=f"6650bb{i:018x}",
        state=state,
        gear_name="qsiprep-hpc",
        gear_version="0.4.0_0.8.0",
        session_id=f"6640ss{i:018x}",
        label="QSIPrep_2024-05-14_qsiprep-hpc_0.4.0_0.8.0",
        created=inputs.LAUNCHED_AT + timedelta(seconds=i),
        origin="mcieslak@pennlinc.example" if i % 10 else "=cmd|' /C calc'!A0",
        tags=("fwbot:b7k2q",) if i % 10 else (),
        saved_files=files,
    )


def _session(i: int) -> SessionStatus:
    outcome = PATTERN[i % len(PATTERN)]
    session = SessionRef(
        session_id=f"6640ss{i:018x}",
        label=f"ses-PNC{i % 3 + 1}",
        subject_label=f"sub-{80010 + i:06d}" if i != 2 else '=HYPERLINK("x")',
    )
    run = _run(i, outcome)
    return SessionStatus(session, outcome, run, runs=0 if run is None else 1 + (i % 7 == 0))


STATUS = GearStatus(
    project=inputs.PROJECT,
    gear="qsiprep-hpc",
    version=None,
    expect_outputs=("*.html.zip",),
    scope="acquisition contains acq-64dir_dwi (config `qsiprep-hpc`)",
    sessions=tuple(_session(i) for i in range(SESSIONS)),
    runs=1_440,
    runs_outside_fwbot=111,
)
SMALL = replace(STATUS, sessions=STATUS.sessions[:6], version="0.4.0_0.8.0", runs=6)
OVERVIEW = ProjectOverview(
    project=inputs.PROJECT,
    sessions=1_411,
    gears=(
        GearLine(
            "fmriprep-fwheudiconv",
            {
                Outcome.GOOD: 184,
                Outcome.RUNNING: 0,
                Outcome.NO_OUTPUTS: 12,
                Outcome.FAILED: 44,
                Outcome.NONE: 1_171,
            },
            333,
            datetime(2020, 4, 21, 16, 0, tzinfo=UTC),
        ),
        GearLine(
            "qsiprep-hpc",
            {
                Outcome.GOOD: 1_222,
                Outcome.RUNNING: 4,
                Outcome.NO_OUTPUTS: 3,
                Outcome.FAILED: 100,
                Outcome.NONE: 82,
            },
            1_440,
            inputs.LAUNCHED_AT,
        ),
    ),
)
RETRY_BATCH = replace(
    inputs.BATCH,
    id="b9m4t",
    analysis_label=f"{inputs.BATCH.analysis_label} (retry 1)",
    retry_of=inputs.BATCH_ID,
    target_count=107,
    skipped_count=0,
    created_at=NOW - timedelta(seconds=20),
)
BATCHES = BatchList(
    batches=(
        RETRY_BATCH,
        replace(
            inputs.BATCH,
            state=BatchState.LAUNCHED,
            launched_at=inputs.LAUNCHED_AT,
            complete_count=612,
            failed_count=31,
            created_at=NOW - timedelta(hours=2, minutes=14),
        ),
        replace(
            inputs.BATCH,
            id="b3xq8",
            state=BatchState.COMPLETE,
            launched_at=inputs.LAUNCHED_AT,
            complete_count=56,
            target_count=56,
            project_label="grmpy_dwi",
            created_at=NOW - timedelta(days=3, hours=1),
        ),
        replace(
            inputs.BATCH,
            id="b2n5p",
            state=BatchState.CANCELLED,
            created_at=NOW - timedelta(minutes=5),
        ),
    ),
    now=NOW,
)
RETRY = RetryTicket(
    batch=RETRY_BATCH,
    plan=inputs.PLAN,
    created=True,
    original=inputs.COMPLETE,
    failed=102,
    missing_outputs=5,
)


def message(reply: Reply) -> dict[str, Any]:
    assert len(reply.blocks) <= MAX_BLOCKS
    assert all(len(json.dumps(b)) < MAX_SECTION_TEXT + 500 for b in reply.blocks)
    return {
        "text": reply.text,
        "ephemeral": reply.ephemeral,
        "blocks": reply.blocks,
        "console": reply.console_text().split("\n"),
        "files": [f.name for f in reply.files],
    }


def csv_lines(reply: Reply) -> dict[str, Any]:
    [file] = reply.files
    return {"name": file.name, "title": file.title, "lines": file.content.decode().split("\n")}


CASES: dict[str, Callable[[], Any]] = {
    "gear_status": lambda: message(render.gear_status(STATUS)),
    "gear_status_csv_reply": lambda: message(render.gear_status(SMALL, with_csv=True)),
    "gear_status_csv": lambda: csv_lines(render.gear_status(SMALL, with_csv=True)),
    "overview": lambda: message(render.overview(OVERVIEW)),
    "overview_no_runs": lambda: message(render.overview(replace(OVERVIEW, gears=()))),
    "batches": lambda: message(render.batch_list(BATCHES)),
    "batches_mine_none": lambda: message(
        render.batch_list(BatchList(batches=(), now=NOW, mine=True))
    ),
    "retry_plan": lambda: message(render_retry.retry_plan(RETRY)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_status_message_matches_its_snapshot(name: str) -> None:
    assert_matches_snapshot(f"status/{name}", CASES[name]())


def test_every_status_snapshot_belongs_to_a_case() -> None:
    from tests.snapshots.helper import SNAPSHOTS

    stale = sorted(p.stem for p in (SNAPSHOTS / "status").glob("*.json") if p.stem not in CASES)
    assert not stale, f"snapshots without a case (delete them): {stale}"
