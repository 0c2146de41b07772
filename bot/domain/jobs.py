"""Flywheel job states as fwbot reads them, and the tag that finds a batch's jobs."""

from __future__ import annotations

from enum import StrEnum


class JobState(StrEnum):
    """A Flywheel job's state (``unknown``: a run whose job fwbot may not read)."""

    PENDING = "pending"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


ACTIVE_JOB_STATES = frozenset({JobState.PENDING, JobState.SCHEDULED, JobState.RUNNING})
QUEUED_JOB_STATES = frozenset({JobState.PENDING, JobState.SCHEDULED})  # cancel reaches these
FINAL_JOB_STATES = frozenset({JobState.COMPLETE, JobState.FAILED, JobState.CANCELLED})

BATCH_TAG_PREFIX = "fwbot:"


def batch_tag(batch_id: str) -> str:
    """The tag every job of a batch carries, so its jobs come back in one filtered query."""
    return f"{BATCH_TAG_PREFIX}{batch_id}"


def batch_of_tags(tags: list[str]) -> str | None:
    """The fwbot batch a job belongs to, from its tags (None: not launched by fwbot)."""
    return next(
        (t.removeprefix(BATCH_TAG_PREFIX) for t in tags if t.startswith(BATCH_TAG_PREFIX)), None
    )
