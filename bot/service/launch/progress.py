"""A batch's progress as people read it: launched, running, complete (with outputs), failed.

Built from the store (what fwbot launched) and one tagged job query to Flywheel (what
the jobs are doing), so the status of a 1,329-job batch costs one or two requests.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from bot.domain import (
    ACTIVE_JOB_STATES,
    Batch,
    JobRecord,
    JobState,
    Target,
    TargetState,
)


def outputs_present(saved_files: list[str], patterns: tuple[str, ...]) -> bool:
    """Every expected pattern matched by a saved file (the tutorial's `run_succeeded`)."""
    return all(any(fnmatch.fnmatch(f, p) for f in saved_files) for p in patterns)


@dataclass(frozen=True)
class FailedSession:
    session_label: str
    subject_label: str
    reason: str


@dataclass(frozen=True)
class BatchView:
    """Everything a progress message shows; ``jobs`` counts Flywheel job states."""

    batch: Batch
    targets: int
    launched: int
    launch_failed: int
    jobs: dict[str, int] = field(default_factory=dict)
    complete_without_outputs: int = 0
    failures: tuple[FailedSession, ...] = ()
    launch_cancelled: int = 0  # sessions a `/fw cancel` during the launch kept from launching

    @property
    def complete(self) -> int:
        return self.jobs.get(JobState.COMPLETE, 0)

    @property
    def failed(self) -> int:
        return self.jobs.get(JobState.FAILED, 0)

    @property
    def cancelled(self) -> int:
        return self.jobs.get(JobState.CANCELLED, 0)

    @property
    def active(self) -> int:
        return sum(n for s, n in self.jobs.items() if s in ACTIVE_JOB_STATES)

    @property
    def finished(self) -> int:
        return self.complete + self.failed + self.cancelled

    @property
    def all_final(self) -> bool:
        """Every launched job has ended (and launching itself is over)."""
        return self.launched > 0 and self.active == 0 and self.finished >= self.launched

    def signature(self) -> tuple[object, ...]:
        """What a reader would see change; equal signatures need no message update."""
        return (
            self.batch.state,
            self.launched,
            self.launch_failed,
            self.complete,
            self.failed,
            self.cancelled,
            self.active,
            self.complete_without_outputs,
            self.launch_cancelled,
        )


def build_view(
    batch: Batch, targets: list[Target], jobs: list[JobRecord], *, assume_queued: bool = False
) -> BatchView:
    """Combine the store's targets with the latest job of each session in Flywheel
    (``assume_queued``: jobs not read, each launched target's job counts as pending)."""
    latest: dict[str, JobRecord] = {}
    for job in jobs:
        key = job.session_id or job.job_id
        seen = latest.get(key)
        if seen is None or _when(job) >= _when(seen):  # a retry supersedes its failed attempt
            latest[key] = job
    counts: dict[str, int] = {}
    if assume_queued:
        counts[JobState.PENDING] = sum(1 for t in targets if t.state is TargetState.LAUNCHED)
    missing_outputs = 0
    for job in latest.values():
        counts[job.state] = counts.get(job.state, 0) + 1
        complete = job.state is JobState.COMPLETE
        if complete and not outputs_present(job.saved_files, batch.expect_outputs):
            missing_outputs += 1
    failures = tuple(
        FailedSession(t.session_label, t.subject_label, t.error or "launch failed")
        for t in targets
        if t.state is TargetState.FAILED
    )
    return BatchView(
        batch=batch,
        targets=len(targets),
        launched=sum(1 for t in targets if t.state is TargetState.LAUNCHED),
        launch_failed=len(failures),
        jobs=counts,
        complete_without_outputs=missing_outputs,
        failures=failures,
        launch_cancelled=sum(1 for t in targets if t.state is TargetState.CANCELLED),
    )


def _when(job: JobRecord) -> float:
    return job.created.timestamp() if job.created is not None else 0.0
