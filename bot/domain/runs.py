"""A run on a project as the project's analyses show it: one gear run on one session, by
anyone (fwbot, a script, the web UI, a gear rule), with the times its job changed state.

The gateway reads these for a whole project in a few paged requests (the analyses of
its sessions, jobs inflated); subscriptions use them for digests and for the events of
runs launched outside fwbot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.jobs import ACTIVE_JOB_STATES, FINAL_JOB_STATES, JobState, batch_of_tags


@dataclass(frozen=True)
class ProjectRun:
    analysis_id: str
    job_id: str
    state: JobState
    gear_name: str
    gear_version: str
    session_id: str | None
    label: str
    created: datetime
    origin: str | None = None  # the user (or device) that launched it
    flywheel_batch: str | None = None  # Flywheel's batch id, for runs of the batch API
    tags: tuple[str, ...] = ()
    started: datetime | None = None  # when it began running
    ended: datetime | None = None  # when it became complete, failed or cancelled
    failure_reason: str | None = None
    saved_files: tuple[str, ...] = field(default=())

    @property
    def fwbot_batch(self) -> str | None:
        """The fwbot batch it belongs to (its ``fwbot:<id>`` tag); None: launched elsewhere."""
        return batch_of_tags(list(self.tags))

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_JOB_STATES

    @property
    def final(self) -> bool:
        return self.state in FINAL_JOB_STATES
