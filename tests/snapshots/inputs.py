"""Fixed inputs for the message snapshots: the only module here that imports fwbot's
domain, store and service types, so a move of those types is fixed in this file alone.

Every value is a literal (ids, emails, labels, timestamps, counts), so the rendered
messages are the same on every run and machine.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.domain import (
    Actor,
    Batch,
    BatchState,
    FileRef,
    GearDetail,
    GearSummary,
    JobState,
    LaunchMode,
    ProjectRef,
    SessionRef,
)
from bot.errors import FlywheelRefused, NotFound, PermissionDenied
from bot.service.configs.model import InputRef, SavedConfig, SessionSelection
from bot.service.launch.plan_model import LaunchPlan, Skipped
from bot.service.launch.progress import BatchView, FailedSession, StuckJob, StuckReport
from bot.service.launch.service import CancelOutcome, CancelStep
from commands.grammar import CommandUsageError
from commands.registry import REGISTRY

BATCH_ID = "b7k2q"
REQUESTER = "mcieslak@pennlinc.example"
APPROVER = "tsatterthwaite@pennlinc.example"
CHANNEL = "C01LAB"
CREATED = datetime(2024, 5, 14, 9, 30, tzinfo=UTC)
LAUNCHED_AT = datetime(2024, 5, 14, 9, 42, tzinfo=UTC)
FINISHED_AT = datetime(2024, 5, 15, 3, 5, tzinfo=UTC)
SITE_URL = "https://upenn.flywheel.io"
# Flywheel's job times: the first job queued, the reading of the running batch, the last end
FIRST_QUEUED = datetime(2024, 5, 14, 9, 41, tzinfo=UTC)
READ_AT = datetime(2024, 5, 14, 13, 11, tzinfo=UTC)
LAST_ENDED = datetime(2024, 5, 15, 2, 58, tzinfo=UTC)

SESSIONS = 1_329  # matched by the config's acquisition rule
SKIPPED_COMPLETE = 41  # already run with the same gear, version and config
SKIPPED_RUNNING = 12
TO_LAUNCH = SESSIONS - SKIPPED_COMPLETE - SKIPPED_RUNNING  # 1,276

GEAR = GearDetail(
    summary=GearSummary(
        gear_id="65a1f3c2e0b1d2a3c4b5e6f7",
        name="qsiprep",
        label="QSIPrep: preprocessing & reconstruction of diffusion MRI",
        version="0.20.0",
        category="analysis",
    ),
    description="Preprocessing and reconstruction of diffusion-weighted MRI.",
    versions=["0.20.0", "0.19.1"],
)
PROJECT = ProjectRef(
    project_id="5f0c9a7e1b2c3d4e5f6a7b8c",
    label="PNC_CS_810336",
    group="pennlinc",
    files=("license.txt",),
)
SAVED = SavedConfig(
    name="qsiprep-64dir",
    gear="qsiprep",
    size="large",
    config={"hmc_model": "eddy", "output_resolution": 2.0},
    inputs={"freesurfer_license": InputRef(project_file="license.txt")},
    sessions=SessionSelection(has_acquisition="acq-64dir_dwi"),
).with_source("qsiprep-64dir.yml")


def _session(i: int) -> SessionRef:
    return SessionRef(
        session_id=f"6650a0b1c2d3e4f5{i:08x}", label="PNC1", subject_label=f"sub-{600001 + i}"
    )


MATCHED = tuple(_session(i) for i in range(SESSIONS))
SKIPPED = tuple(
    Skipped(s, "complete" if n < SKIPPED_COMPLETE else "running", "b3m9x")
    for n, s in enumerate(MATCHED[: SKIPPED_COMPLETE + SKIPPED_RUNNING])
)

PLAN = LaunchPlan(
    gear=GEAR,
    project=PROJECT,
    saved=SAVED,
    config={"hmc_model": "eddy", "output_resolution": 2.0},
    inputs={
        "freesurfer_license": FileRef(
            parent_type="project", parent_id=PROJECT.project_id, name="license.txt"
        )
    },
    label=SAVED.label_for("0.20.0", CREATED),
    size="large",
    vm_tag=SAVED.vm_tag,
    selection=SAVED.sessions.describe(),
    matched=MATCHED,
    to_launch=MATCHED[SKIPPED_COMPLETE + SKIPPED_RUNNING :],
    skipped=SKIPPED,
    missing_inputs=(),
    hours_per_job=3.0,
)
PLAN_NEEDING_APPROVAL = replace(
    PLAN,
    approval_reasons=(
        f"{TO_LAUNCH:,} jobs is over the 500-job limit",
        "size `large` needs approval",
    ),
)

BATCH = Batch(
    id=BATCH_ID,
    idempotency_key="3f9a" * 16,
    gear_name="qsiprep",
    gear_version="0.20.0",
    gear_id=GEAR.summary.gear_id,
    config_name="qsiprep-64dir",
    config_hash="c0ff" * 16,
    config={"hmc_model": "eddy", "output_resolution": 2.0},
    inputs={"freesurfer_license": {"project_file": "license.txt"}},
    project_id=PROJECT.project_id,
    project_label=PROJECT.label,
    analysis_label=PLAN.label,
    size="large",
    vm_tag=SAVED.vm_tag,
    requester_email=REQUESTER,
    requester_slack_id="U024BE7LH",
    channel_id=CHANNEL,
    approver_email=None,
    state=BatchState.PLANNED,
    launch_mode=None,
    flywheel_batch_id=None,
    expect_outputs=("*.html.zip",),
    target_count=TO_LAUNCH,
    skipped_count=SKIPPED_COMPLETE + SKIPPED_RUNNING,
    complete_count=0,
    failed_count=0,
    created_at=CREATED,
    updated_at=CREATED,
    launched_at=None,
    finished_at=None,
    summary_claimed_by=None,
    summary_claimed_at=None,
    summary_posted_at=None,
)
AWAITING_APPROVAL = replace(BATCH, state=BatchState.AWAITING_APPROVAL)
LAUNCHING = replace(BATCH, state=BatchState.LAUNCHING, launch_mode=LaunchMode.PER_SESSION)
APPROVED = replace(LAUNCHING, approver_email=APPROVER)
LAUNCHED = replace(
    APPROVED,
    state=BatchState.LAUNCHED,
    launched_at=LAUNCHED_AT,
    updated_at=LAUNCHED_AT,
    complete_count=612,
    failed_count=31,
)
COMPLETE = replace(
    LAUNCHED,
    state=BatchState.COMPLETE,
    finished_at=FINISHED_AT,
    updated_at=FINISHED_AT,
    complete_count=1_237,
    failed_count=36,
)

# Three sessions Flywheel would not take; the rest of the 1,276 launched.
FAILURES = (
    FailedSession("PNC1", "sub-600054", "session not found"),
    FailedSession("PNC1", "sub-600311", "input freesurfer_license: file license.txt not found"),
    FailedSession("PNC1", "sub-601207", "Flywheel refused this (400): gear config invalid."),
)
LAUNCH_FAILED = len(FAILURES)
LAUNCHED_JOBS = TO_LAUNCH - LAUNCH_FAILED  # 1,273

PROGRESS_LAUNCHING = BatchView(
    batch=LAUNCHING, targets=TO_LAUNCH, launched=400, launch_failed=0, jobs={"pending": 400}
)
PROGRESS_LAUNCHED = BatchView(
    batch=LAUNCHED,
    targets=TO_LAUNCH,
    launched=LAUNCHED_JOBS,
    launch_failed=LAUNCH_FAILED,
    jobs={"complete": 612, "failed": 31, "running": 48, "pending": 582},
    complete_without_outputs=2,
    failures=FAILURES,
    started_at=FIRST_QUEUED,
    as_of=READ_AT,
    site_url=SITE_URL,
)


def _job_failure(i: int) -> FailedSession:
    reason = "gear failure" if i % 3 else "no reason given by Flywheel"
    return FailedSession("PNC1", f"sub-{600400 + i}", reason, f"6651b0c1d2e3f4a5{i:08x}")


# 36 failed jobs: more than the summary lists (20), so the full list goes in a CSV file.
JOB_FAILURES = tuple(_job_failure(i) for i in range(36))
WITHOUT_OUTPUTS = tuple(
    FailedSession("PNC1", f"sub-{600900 + i}", "no file matching *.html.zip", f"6652c0{i:018x}")
    for i in range(4)
)
PROGRESS_COMPLETE = BatchView(
    batch=COMPLETE,
    targets=TO_LAUNCH,
    launched=LAUNCHED_JOBS,
    launch_failed=LAUNCH_FAILED,
    jobs={"complete": 1_237, "failed": 36},
    complete_without_outputs=4,
    failures=FAILURES,
    failed_jobs=JOB_FAILURES,
    without_outputs=WITHOUT_OUTPUTS,
    started_at=FIRST_QUEUED,
    ended_at=LAST_ENDED,
    as_of=FINISHED_AT,
    site_url=SITE_URL,
)
# A batch whose every job was cancelled: the bar must not look done.
ALL_CANCELLED = replace(
    PROGRESS_COMPLETE,
    batch=replace(COMPLETE, state=BatchState.CANCELLED, complete_count=0, failed_count=0),
    launch_failed=0,
    jobs={"cancelled": LAUNCHED_JOBS},
    complete_without_outputs=0,
    failures=(),
    failed_jobs=(),
    without_outputs=(),
)
# Every job complete with its outputs: no Retry button.
ALL_GOOD = replace(
    PROGRESS_COMPLETE,
    launch_failed=0,
    launched=TO_LAUNCH,
    jobs={"complete": TO_LAUNCH},
    complete_without_outputs=0,
    failures=(),
    failed_jobs=(),
    without_outputs=(),
)
STUCK = StuckReport(
    threshold=timedelta(hours=12),
    jobs=tuple(
        StuckJob("PNC1", f"sub-{600700 + i}", JobState.RUNNING, timedelta(hours=14, minutes=i))
        for i in range(3)
    ),
)
# More failures than the thread post lists (40): the rest are counted, never dropped.
MANY_FAILURES = replace(
    PROGRESS_LAUNCHED,
    launched=TO_LAUNCH - 45,
    launch_failed=45,
    failures=tuple(
        FailedSession("PNC1", f"sub-{600100 + i}", "Flywheel refused this (429): slow down.")
        for i in range(45)
    ),
)

CANCEL_PREVIEW = CancelOutcome(LAUNCHED, CancelStep.PREVIEW, pending=582, running=48, finished=643)
CANCEL_DONE = CancelOutcome(LAUNCHED, CancelStep.DONE, pending=582, cancelled=582)


# -- errors ------------------------------------------------------------------------
def usage_error() -> CommandUsageError:
    """What the real parser raises for `/fw launch qsiprep` (no `project=`)."""
    try:
        REGISTRY.grammar.parse("launch qsiprep")
    except CommandUsageError as err:
        return err
    raise AssertionError("`/fw launch qsiprep` parsed; the usage-error input needs a new example")


PERMISSION_DENIED = PermissionDenied(
    "You have read-only access to `PNC_CS_810336`; this needs read-write access. "
    "Ask a project admin: tsatterthwaite@pennlinc.example."
)
NOT_FOUND = NotFound("gear", "qsiprpe", suggestions=["qsiprep", "qsiprep-hpc", "qsirecon"])
FLYWHEEL_REFUSED = FlywheelRefused(403, "user does not have permission to launch jobs")
INTERNAL_REF = "a1b2c3"
CONSOLE_ACTOR = Actor(email=REQUESTER, via="console")
