"""One run per target: the rule that keeps two fwbot batches from launching the same work.

A *run* is one gear version with one config and one set of input files on one target
(a session, an acquisition, a subject or the project). Its key is what the store claims
(``run_claims``, primary key) before a batch launches the target, so of two batches, or
two replicas, racing for the same run exactly one holds it. The claim passes to a later
batch only when the holder's run there no longer counts: it failed, was cancelled, never
launched, or completed without the outputs its batch expects, unless the later batch
asked to run again (``rerun``).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["Rerun", "outputs_present", "run_key", "run_key_of", "run_stands"]

from bot.domain.batch_life import Phase, phase_of
from bot.domain.batches import Batch, Rerun, Target, TargetState
from bot.domain.jobs import ACTIVE_JOB_STATES, JobState
from bot.domain.models import JobRecord


def run_key(batch: Batch, target_key: str, target_inputs: Mapping[str, Any]) -> str:
    """The claim's key: gear, version, config and batch inputs (the batch's
    ``config_hash``), the target's container and the files picked for it."""
    return run_key_of(
        batch.gear_name, batch.gear_version, batch.config_hash, target_key, target_inputs
    )


def run_key_of(
    gear_name: str,
    gear_version: str,
    config_hash: str,
    target_key: str,
    target_inputs: Mapping[str, Any],
) -> str:
    parts = [gear_name, gear_version, config_hash, target_key, dict(target_inputs)]
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def outputs_present(saved_files: list[str], patterns: tuple[str, ...]) -> bool:
    """Did a complete job save a file matching every expected pattern (none: yes)?"""
    return all(any(fnmatch.fnmatch(f, p) for f in saved_files) for p in patterns)


def run_stands(
    holder: Batch, target: Target, job: JobRecord | None, *, rerun: Rerun = Rerun.NONE
) -> bool:
    """Does the holder's run on ``target`` keep another batch from launching it?

    ``job`` is the holder's job for the target as Flywheel shows it (None: not read, or
    not found): a launched target whose job cannot be seen stands, the stricter reading,
    since launching again could make a second run."""
    if rerun is Rerun.ALL:
        return False
    if target.state is TargetState.PLANNED:
        return phase_of(holder) is Phase.LAUNCHING  # still to launch it (not stopping)
    if target.state is not TargetState.LAUNCHED:
        return False  # failed to launch, cancelled before launch, or skipped
    if job is None or job.state in ACTIVE_JOB_STATES:
        return True
    if job.state is JobState.COMPLETE:
        return rerun is not Rerun.COMPLETE and outputs_present(
            job.saved_files, holder.expect_outputs
        )
    return False  # failed or cancelled
