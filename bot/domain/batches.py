"""Batches and their per-session targets: states, the legal transitions, and the
records every layer passes around. No I/O: the store maps rows to these and back.

Every state change of a batch goes through :func:`check_transition` (the store also
enforces it in SQL with a compare-and-set), so no caller can move a cancelled batch
back to launching by accident.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from bot.errors import Conflict


class BatchState(StrEnum):
    PLANNED = "planned"
    AWAITING_APPROVAL = "awaiting_approval"
    LAUNCHING = "launching"
    LAUNCHED = "launched"
    CANCELLED = "cancelled"
    FAILED = "failed"
    COMPLETE = "complete"


class TargetState(StrEnum):
    PLANNED = "planned"
    LAUNCHED = "launched"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"  # not launched: `/fw cancel` stopped the launch first


class Rerun(StrEnum):
    """What a batch launches again where fwbot already has a run of the same work."""

    NONE = "none"  # nothing: pending, running and complete runs stand (the default)
    COMPLETE = "complete"  # complete runs are run again (a config's `skip: none`)
    ALL = "all"  # everything: the user typed `rerun`


class LaunchMode(StrEnum):
    """How a batch's jobs reached Flywheel (recorded per batch)."""

    BATCH_API = "batch-api"
    PER_SESSION = "per-session"


# The setting: how utility gears launch ("auto": the batch API, per session without it);
# analysis gears always launch one analysis per session.
ModeSetting = Literal["auto", "batch-api", "per-session"]


FINAL_BATCH_STATES: frozenset[BatchState] = frozenset(
    {BatchState.CANCELLED, BatchState.FAILED, BatchState.COMPLETE}
)
# A plan: nothing launched, so no jobs yet, and it may still be dropped.
PLAN_STATES: frozenset[BatchState] = frozenset({BatchState.PLANNED, BatchState.AWAITING_APPROVAL})
# Launched or launching: a second click must not start it again.
UNDER_WAY_STATES: frozenset[BatchState] = frozenset({BatchState.LAUNCHING, BatchState.LAUNCHED})


def after_launch(launched_targets: int) -> BatchState:
    """Where a launch that has settled every target leaves its batch."""
    return BatchState.LAUNCHED if launched_targets else BatchState.FAILED


def when_jobs_end(cancelled_jobs: int) -> BatchState:
    """Where a launched batch goes once every job has ended: cancelled if any job was."""
    return BatchState.CANCELLED if cancelled_jobs else BatchState.COMPLETE


TRANSITIONS: dict[BatchState, frozenset[BatchState]] = {
    BatchState.PLANNED: frozenset(
        {
            BatchState.AWAITING_APPROVAL,
            BatchState.LAUNCHING,
            BatchState.CANCELLED,
            BatchState.FAILED,
        }
    ),
    BatchState.AWAITING_APPROVAL: frozenset(
        {BatchState.LAUNCHING, BatchState.CANCELLED, BatchState.FAILED}
    ),
    BatchState.LAUNCHING: frozenset({BatchState.LAUNCHED, BatchState.CANCELLED, BatchState.FAILED}),
    BatchState.LAUNCHED: frozenset({BatchState.COMPLETE, BatchState.CANCELLED, BatchState.FAILED}),
    BatchState.CANCELLED: frozenset(),
    BatchState.FAILED: frozenset(),
    BatchState.COMPLETE: frozenset(),
}


class IllegalTransition(Conflict):
    """A batch was asked to move to a state its current state cannot reach."""

    def __init__(self, batch_id: str, current: BatchState, wanted: BatchState) -> None:
        self.batch_id = batch_id
        self.current = current
        self.wanted = wanted
        super().__init__(f"Batch `{batch_id}` is {current.value}; it cannot become {wanted.value}.")


class SameLaunchUnderWay(Conflict):
    """Another batch that would make the same jobs is launching or launched already
    (the store's unique index on under-way launch keys said so)."""

    def __init__(self, batch_id: str) -> None:
        self.batch_id = batch_id
        super().__init__(
            f"Batch `{batch_id}` cannot launch: the same launch is already under way.",
            hint="`/fw status` shows it.",
        )


def sources_of(wanted: BatchState) -> frozenset[BatchState]:
    """States from which ``wanted`` is reachable (used for the SQL compare-and-set)."""
    return frozenset(s for s, targets in TRANSITIONS.items() if wanted in targets)


def check_transition(batch_id: str, current: BatchState, wanted: BatchState) -> None:
    """Raise :class:`IllegalTransition` unless ``current -> wanted`` is in :data:`TRANSITIONS`."""
    if wanted not in TRANSITIONS[current]:
        raise IllegalTransition(batch_id, current, wanted)


# Lowercase letters and digits minus the ones misread on a phone (0/o, 1/l/i).
ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


def new_batch_id(length: int = 4) -> str:
    """``b`` + random characters, e.g. ``b7k2q``; short enough to type on a phone."""
    return "b" + "".join(secrets.choice(ID_ALPHABET) for _ in range(length))


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def config_hash(config: dict[str, Any], inputs: dict[str, Any] | None = None) -> str:
    """SHA-256 of the config values and inputs: both change what a job does."""
    return hashlib.sha256(_canonical({"config": config, "inputs": inputs or {}})).hexdigest()


def idempotency_key(
    gear_name: str,
    gear_version: str,
    config_hash: str,
    project_id: str,
    session_ids: Iterable[str],
    *,
    vm_tag: str | None = None,
    label: str = "",
    extra: str = "",
) -> str:
    """Same gear, version, config (and inputs), project, targets, VM size and analysis
    label -> same key: everything that changes what would be launched. A request that
    differs in any of them is a new batch, never the old one shown beside a new plan.

    ``session_ids`` are the targets' parts (``TargetSpec.launch_part``): a session's id,
    or for other targets and targets with files of their own, the level, the container
    and the files picked with their versions (a new file version is a new launch).

    ``extra`` lets a deliberate relaunch (e.g. a retry attempt) opt out.
    """
    payload = [
        gear_name,
        gear_version,
        config_hash,
        project_id,
        sorted(set(session_ids)),
        vm_tag or "",
        label,
        extra,
    ]
    return hashlib.sha256(_canonical(payload)).hexdigest()


@dataclass(frozen=True)
class TargetSpec:
    """One target as planned. A session by default; for another level (``target_type``
    acquisition, subject or project) ``target_id`` is its container and ``session_id``
    the session it is in ("" above the session). ``inputs``: the files the plan picked
    for this target, input name -> ``InputFile`` fields (with the version seen)."""

    session_id: str
    session_label: str
    subject_label: str
    state: TargetState = TargetState.PLANNED
    attempt: int = 1
    target_type: str = "session"
    target_id: str | None = None
    target_label: str = ""
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The target's container id: one target per container in a batch."""
        return self.target_id or self.session_id

    def launch_part(self) -> str:
        """This target's share of the launch key: a session without inputs of its own is
        its id (as keys were before targets had levels); anything else names its level
        and the files picked for it, with their versions, so a new file version (or
        another file) is another launch."""
        if self.target_type == "session" and not self.inputs:
            return self.session_id
        return _canonical([self.target_type, self.key, self.inputs]).decode()


@dataclass(frozen=True)
class BatchSpec:
    """Everything known about a batch when it is planned."""

    gear_name: str
    gear_version: str
    gear_id: str
    project_id: str
    project_label: str
    analysis_label: str
    requester_email: str
    config: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    config_name: str | None = None
    size: str | None = None
    vm_tag: str | None = None
    requester_slack_id: str | None = None
    channel_id: str | None = None
    state: BatchState = BatchState.PLANNED
    skipped_count: int = 0
    key_extra: str = ""
    expect_outputs: tuple[str, ...] = ()
    retry_of: str | None = None  # the batch whose failed sessions this one relaunches
    rerun: Rerun = Rerun.NONE

    @property
    def config_hash(self) -> str:
        return config_hash(self.config, self.inputs)

    def idempotency_key(self, targets: Sequence[TargetSpec]) -> str:
        """The launch and who asked for it: a second user asking the same thing gets a
        batch of their own (told that the same launch is planned or running)."""
        return hashlib.sha256(
            _canonical([self.launch_key(targets), self.requester_email.casefold()])
        ).hexdigest()

    def launch_key(self, targets: Sequence[TargetSpec]) -> str:
        """What would be launched, whoever asks: equal keys would make the same jobs."""
        return idempotency_key(
            self.gear_name,
            self.gear_version,
            self.config_hash,
            self.project_id,
            (t.launch_part() for t in targets),
            vm_tag=self.vm_tag,
            label=self.analysis_label,
            extra=self.key_extra + (":rerun" if self.rerun is Rerun.ALL else ""),
        )


@dataclass(frozen=True)
class Batch:
    id: str
    idempotency_key: str
    gear_name: str
    gear_version: str
    gear_id: str
    config_name: str | None
    config_hash: str
    config: dict[str, Any]
    inputs: dict[str, Any]
    project_id: str
    project_label: str
    analysis_label: str
    size: str | None
    vm_tag: str | None
    requester_email: str
    requester_slack_id: str | None
    channel_id: str | None
    approver_email: str | None
    state: BatchState
    launch_mode: LaunchMode | None
    flywheel_batch_id: str | None
    expect_outputs: tuple[str, ...]
    target_count: int
    skipped_count: int
    complete_count: int
    failed_count: int
    created_at: datetime
    updated_at: datetime
    launched_at: datetime | None
    finished_at: datetime | None
    summary_claimed_by: str | None
    summary_claimed_at: datetime | None
    summary_posted_at: datetime | None
    launch_key: str | None = None
    cancel_requested_by: str | None = None
    cancel_requested_at: datetime | None = None
    # The batch-API intent: fwbot's pending Flywheel batches before its proposal (None: none).
    proposals_before: tuple[str, ...] | None = None
    retry_of: str | None = None  # the batch whose failed sessions this one relaunches
    rerun: Rerun = Rerun.NONE  # what it launches again where fwbot has the same run

    @property
    def proposal_intent_open(self) -> bool:
        """A proposal may have been made in Flywheel whose id fwbot never heard (the
        intent was written, the answer never recorded)."""
        return (
            self.launch_mode is LaunchMode.BATCH_API
            and self.flywheel_batch_id is None
            and self.proposals_before is not None
        )

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_BATCH_STATES

    @property
    def is_plan(self) -> bool:
        """Not launched yet: no jobs exist, and it may still be dropped."""
        return self.state in PLAN_STATES

    @property
    def is_under_way(self) -> bool:
        return self.state in UNDER_WAY_STATES


@dataclass(frozen=True)
class Target:
    id: int
    batch_id: str
    session_id: str
    session_label: str
    subject_label: str
    state: TargetState
    job_id: str | None
    analysis_id: str | None
    error: str | None
    attempt: int
    updated_at: datetime
    target_type: str = "session"
    target_id: str = ""  # "" (rows from before levels): the session
    target_label: str = ""
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The target's container id (its session's id for a session target)."""
        return self.target_id or self.session_id
