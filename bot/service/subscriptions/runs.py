"""Reading a project's runs: outside "batches", stuck runs and a day's counts. No I/O.

**Runs launched outside fwbot are grouped into batches** by this rule: runs of Flywheel's
batch API share their Flywheel batch id, and are one batch; every other run belongs to
the batch of its gear, gear version and origin (the user, or the device of a gear rule)
launched within the same clock hour (UTC). A script looping over 300 sessions at 14:05
is one batch; the same script run again at 16:30 is another. Runs carrying fwbot's tag
(``fwbot:<batch id>``) are never outside runs: fwbot reports its own batches itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.jobs import JobState
from bot.domain.runs import ProjectRun
from bot.service.subscriptions.ports import DigestGear, FailedRun

StuckAfter = Callable[[str], timedelta]  # gear name -> how long a run may wait before "stuck"
Labels = dict[str, tuple[str, str]]  # session id -> (subject label, session label)


@dataclass(frozen=True)
class RunGroup:
    """Runs launched together outside fwbot (see the module's rule)."""

    key: str
    gear_name: str
    gear_version: str
    origin: str
    flywheel_batch: str | None
    runs: tuple[ProjectRun, ...]

    @property
    def short_key(self) -> str:
        """A stable name short enough for a claim key."""
        return "ext-" + hashlib.sha1(self.key.encode()).hexdigest()[:12]

    @property
    def launched_at(self) -> datetime:
        return min(r.created for r in self.runs)

    @property
    def all_final(self) -> bool:
        return all(r.final for r in self.runs)

    @property
    def ended_at(self) -> datetime | None:
        """When the last run ended, once every run has; None while any is pending or running."""
        if not self.all_final:
            return None
        ends = [r.ended or r.created for r in self.runs]
        return max(ends)

    def count(self, state: JobState) -> int:
        return sum(1 for r in self.runs if r.state is state)

    @property
    def active(self) -> int:
        return sum(1 for r in self.runs if r.active)


def group_key(run: ProjectRun) -> str:
    if run.flywheel_batch:
        return f"flywheel-batch:{run.flywheel_batch}"
    hour = run.created.strftime("%Y-%m-%dT%H")
    return f"{run.gear_name}@{run.gear_version}:{run.origin or '?'}:{hour}"


def outside_groups(runs: Iterable[ProjectRun]) -> list[RunGroup]:
    """Runs not launched by fwbot, grouped into batches (oldest first)."""
    grouped: dict[str, list[ProjectRun]] = {}
    for run in runs:
        if run.fwbot_batch is None and run.state is not JobState.UNKNOWN:
            grouped.setdefault(group_key(run), []).append(run)
    groups = [
        RunGroup(
            key=key,
            gear_name=members[0].gear_name,
            gear_version=members[0].gear_version,
            origin=members[0].origin or "someone",
            flywheel_batch=members[0].flywheel_batch,
            runs=tuple(members),
        )
        for key, members in grouped.items()
    ]
    return sorted(groups, key=lambda g: (g.launched_at, g.key))


def is_stuck(run: ProjectRun, now: datetime, stuck_after: StuckAfter) -> bool:
    """Pending or running far longer than the gear's usual time, counted from when
    Flywheel queued it (as fwbot's own stuck alert counts)."""
    return run.active and now - run.created > stuck_after(run.gear_name)


def failed_run(run: ProjectRun, labels: Labels) -> FailedRun:
    subject, session = labels.get(run.session_id or "", ("", run.session_id or ""))
    return FailedRun(
        gear_name=run.gear_name,
        gear_version=run.gear_version,
        subject_label=subject,
        session_label=session,
        reason=run.failure_reason or "no reason given",
        launched_by=run.origin or "",
        batch=run.fwbot_batch or run.flywheel_batch or "",
        ended=run.ended,
        analysis_id=run.analysis_id,
    )


def day_counts(
    runs: Sequence[ProjectRun],
    start: datetime,
    end: datetime,
    stuck_after: StuckAfter,
) -> tuple[DigestGear, ...]:
    """Per gear: launched, ended complete, ended failed in (start, end]; pending or running
    at ``end``, and of those the stuck ones. Gears with nothing to say are left out."""

    def within(at: datetime | None) -> bool:
        return at is not None and start < at <= end

    rows: dict[str, DigestGear] = {}
    for gear in sorted({r.gear_name for r in runs}):
        mine = [r for r in runs if r.gear_name == gear]
        row = DigestGear(
            gear_name=gear,
            launched=sum(1 for r in mine if within(r.created)),
            complete=sum(1 for r in mine if r.state is JobState.COMPLETE and within(r.ended)),
            failed=sum(1 for r in mine if r.state is JobState.FAILED and within(r.ended)),
            pending=sum(1 for r in mine if r.active and r.created <= end),
            stuck=sum(1 for r in mine if r.created <= end and is_stuck(r, end, stuck_after)),
        )
        if row.anything:
            rows[gear] = row
    return tuple(rows.values())


def failed_within(runs: Iterable[ProjectRun], start: datetime, end: datetime) -> list[ProjectRun]:
    return sorted(
        (
            r
            for r in runs
            if r.state is JobState.FAILED and r.ended is not None and start < r.ended <= end
        ),
        key=lambda r: (r.gear_name, r.ended or r.created, r.analysis_id),
    )
