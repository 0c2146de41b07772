"""A batch's progress as people read it: launched, running, complete (with outputs), failed.

Built from the store (what fwbot launched) and one tagged job query to Flywheel (what
the jobs are doing), so the status of a 1,329-job batch costs one or two requests.
Times come from Flywheel's own job records (queued, entered each state), read against
the reporter's clock (``as_of``), so elapsed time and the rough ETA need no request more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.domain import (
    ACTIVE_JOB_STATES,
    FINAL_JOB_STATES,
    QUEUED_JOB_STATES,
    Batch,
    JobRecord,
    JobState,
    Target,
    TargetState,
)
from bot.domain.claims import outputs_present

NO_REASON = "no reason given by Flywheel"
ETA_AFTER = 0.1  # share of the jobs that must have ended before an ETA is shown
RATE_WINDOW = timedelta(minutes=5)
RECENT_ENDS = 5  # ends in the recent window needed to use its rate


@dataclass(frozen=True)
class FailedSession:
    """A session that failed (to launch, or its job), or whose job left no expected output."""

    session_label: str
    subject_label: str
    reason: str
    job_id: str | None = None


@dataclass(frozen=True)
class ActiveJob:
    """A job still pending or running: since when (Flywheel's times)."""

    session_label: str
    subject_label: str
    state: JobState
    queued_at: datetime | None
    running_since: datetime | None = None


@dataclass(frozen=True)
class StuckJob:
    session_label: str
    subject_label: str
    state: JobState
    waited: timedelta  # since it was queued


@dataclass(frozen=True)
class StuckReport:
    """Jobs of a batch pending or running longer than its gear should take."""

    threshold: timedelta
    jobs: tuple[StuckJob, ...]

    @property
    def session_labels(self) -> list[str]:
        return [f"{j.subject_label} {j.session_label}".strip() for j in self.jobs]


@dataclass(frozen=True)
class BatchView:
    """Everything a progress message shows; ``jobs`` counts Flywheel job states."""

    batch: Batch
    targets: int
    launched: int
    launch_failed: int
    jobs: dict[str, int] = field(default_factory=dict)
    complete_without_outputs: int = 0
    failures: tuple[FailedSession, ...] = ()  # sessions that failed to launch
    launch_cancelled: int = 0  # sessions a `/fw cancel` during the launch kept from launching
    failed_jobs: tuple[FailedSession, ...] = ()  # jobs Flywheel ran that failed, with reasons
    without_outputs: tuple[FailedSession, ...] = ()  # complete jobs missing expected outputs
    active_jobs: tuple[ActiveJob, ...] = ()
    started_at: datetime | None = None  # the first job queued
    ended_at: datetime | None = None  # the last job that ended so far
    as_of: datetime | None = None  # when this was read (the reporter's clock)
    site_url: str = ""  # Flywheel's web UI, for links ("" when unknown)
    end_times: tuple[datetime, ...] = ()  # when each ended job did, for the rate of ends

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
    def running(self) -> int:
        return self.jobs.get(JobState.RUNNING, 0)

    @property
    def queued(self) -> int:
        return sum(n for s, n in self.jobs.items() if s in QUEUED_JOB_STATES)

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

    @property
    def elapsed(self) -> timedelta | None:
        """From the first job queued to the last one ended (all ended), or to now."""
        if self.started_at is None:
            return None
        end = self.ended_at if self.all_final else self.as_of
        if end is None:
            return None
        return max(end - self.started_at, timedelta(0))

    @property
    def eta(self) -> timedelta | None:
        """A rough time left: the jobs still active at the rate jobs have been ending.

        The rate is that of the recent past (the last quarter of the time so far, at
        least ``RATE_WINDOW``) when enough jobs ended in it, else of the whole run. None
        until ``ETA_AFTER`` of the jobs have ended (the first ends say little about the
        rest), and once none is left."""
        elapsed = self.elapsed
        if self.all_final or not self.active or not elapsed or self.as_of is None:
            return None
        if self.finished < max(1, ETA_AFTER * (self.launched or self.targets)):
            return None
        window = max(elapsed / 4, RATE_WINDOW)
        recent = sum(1 for t in self.end_times if t >= self.as_of - window)
        if recent >= RECENT_ENDS:
            return window * self.active / recent
        return elapsed * self.active / self.finished

    def signature(self) -> tuple[object, ...]:
        """What a reader would see change; equal signatures need no message update."""
        return (
            self.batch.state,
            self.launched,
            self.launch_failed,
            self.complete,
            self.failed,
            self.cancelled,
            self.running,
            self.queued,
            self.complete_without_outputs,
            self.launch_cancelled,
        )


def build_view(
    batch: Batch,
    targets: list[Target],
    jobs: list[JobRecord],
    *,
    assume_queued: bool = False,
    as_of: datetime | None = None,
    site_url: str = "",
) -> BatchView:
    """Combine the store's targets with the latest job of each session in Flywheel
    (``assume_queued``: jobs not read, each launched target's job counts as pending)."""
    level = targets[0].target_type if targets else "session"  # one level per batch
    latest = latest_jobs(jobs, level)
    targets = [t for t in targets if t.state is not TargetState.SKIPPED]  # others' runs
    outcomes = _Outcomes.of(batch, latest.values(), {t.key: t for t in targets}, level)
    counts = outcomes.counts
    if assume_queued:
        counts[JobState.PENDING] = counts.get(JobState.PENDING, 0) + sum(
            1 for t in targets if t.state is TargetState.LAUNCHED
        )
    failures = tuple(
        FailedSession(t.session_label, t.subject_label, t.error or "launch failed")
        for t in targets
        if t.state is TargetState.FAILED
    )
    queued = [t for job in jobs if (t := _utc(job.created)) is not None]
    ended = [t for job in latest.values() if (t := ended_at(job)) is not None]
    return BatchView(
        batch=batch,
        targets=len(targets),
        launched=sum(1 for t in targets if t.state is TargetState.LAUNCHED),
        launch_failed=len(failures),
        jobs=counts,
        complete_without_outputs=len(outcomes.without_outputs),
        failures=failures,
        launch_cancelled=sum(1 for t in targets if t.state is TargetState.CANCELLED),
        failed_jobs=tuple(sorted(outcomes.failed, key=_order)),
        without_outputs=tuple(sorted(outcomes.without_outputs, key=_order)),
        active_jobs=tuple(outcomes.active),
        started_at=min(queued) if queued else None,
        ended_at=max(ended) if ended else None,
        as_of=as_of,
        site_url=site_url,
        end_times=tuple(sorted(ended)),
    )


def latest_jobs(jobs: Iterable[JobRecord], level: str) -> dict[str, JobRecord]:
    """The latest job of each target (by its container at ``level``): a Flywheel retry
    supersedes its failed attempt."""
    latest: dict[str, JobRecord] = {}
    for job in jobs:
        key = job.target_of(level) or job.job_id
        seen = latest.get(key)
        if seen is None or _when(job) >= _when(seen):
            latest[key] = job
    return latest


@dataclass
class _Outcomes:
    """The latest jobs of a batch sorted by how they ended (or that they have not)."""

    counts: dict[str, int] = field(default_factory=dict)
    failed: list[FailedSession] = field(default_factory=list)
    without_outputs: list[FailedSession] = field(default_factory=list)
    active: list[ActiveJob] = field(default_factory=list)

    @classmethod
    def of(
        cls, batch: Batch, latest: Iterable[JobRecord], by_key: dict[str, Target], level: str
    ) -> _Outcomes:
        found = cls()
        for job in latest:
            found.counts[job.state] = found.counts.get(job.state, 0) + 1
            session, subject = _labels(job, by_key, level)
            if job.state is JobState.COMPLETE:
                if not outputs_present(job.saved_files, batch.expect_outputs):
                    missing = ", ".join(batch.expect_outputs)
                    found.without_outputs.append(
                        FailedSession(session, subject, f"no file matching {missing}", job.job_id)
                    )
            elif job.state is JobState.FAILED:
                found.failed.append(FailedSession(session, subject, _reason(job), job.job_id))
            elif job.state in ACTIVE_JOB_STATES:
                found.active.append(
                    ActiveJob(
                        session,
                        subject,
                        job.state,
                        queued_at=_utc(job.created),
                        running_since=_utc(job.transitions.get(JobState.RUNNING)),
                    )
                )
        return found


def find_stuck(view: BatchView, threshold: timedelta) -> StuckReport | None:
    """The batch's jobs pending or running for longer than ``threshold`` (since queued),
    longest first; None when there are none (or the view has no clock reading)."""
    now = view.as_of
    if now is None:
        return None
    stuck = [
        StuckJob(j.session_label, j.subject_label, j.state, now - j.queued_at)
        for j in view.active_jobs
        if j.queued_at is not None and now - j.queued_at > threshold
    ]
    if not stuck:
        return None
    stuck.sort(key=lambda j: (-j.waited, j.subject_label, j.session_label))
    return StuckReport(threshold=threshold, jobs=tuple(stuck))


def ended_at(job: JobRecord) -> datetime | None:
    """When a job that has ended did (its final transition, else its last change)."""
    if job.state not in FINAL_JOB_STATES:
        return None
    return _utc(job.transitions.get(job.state) or job.modified)


def _labels(
    job: JobRecord, by_session: dict[str, Target], level: str = "session"
) -> tuple[str, str]:
    target = by_session.get(job.target_of(level) or "")
    if target is None:
        return job.session_id or job.job_id, ""
    return target.session_label, target.subject_label


def _reason(job: JobRecord) -> str:
    """Flywheel's ``failure_reason`` (a code such as ``gear_failure``) as words."""
    reason = (job.failure_reason or "").strip()
    return reason.replace("_", " ") if reason else NO_REASON


def _order(failed: FailedSession) -> tuple[str, str]:
    return failed.subject_label, failed.session_label


def _utc(when: datetime | None) -> datetime | None:
    if when is None:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _when(job: JobRecord) -> float:
    return job.created.timestamp() if job.created is not None else 0.0
