"""Where a batch meets another batch's runs: the check behind "no session twice".

The planner's skip rule sees Flywheel at plan time. Between the plan and the Launch click
another batch may have launched the same runs (or be launching them), so the click asks
again: the run claims in the store say which batch holds each run, and the holder's own
targets (and, for those it launched, its jobs in Flywheel) say whether that run still
stands. All of it is read before the click's unit of work opens; inside it the claims
are taken with a compare-and-set, so a batch that won meanwhile is never overruled.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.domain import (
    Batch,
    BatchSpec,
    JobRecord,
    Target,
    TargetSpec,
    TargetState,
    batch_tag,
)
from bot.domain.batch_life import Phase, phase_of
from bot.domain.claims import Rerun, run_key, run_key_of, run_stands
from bot.errors import Conflict
from bot.flywheel.gateway import FlywheelGateway
from bot.service.accounts.acting import LauncherKeys
from bot.store.batches import BatchRepo


@dataclass(frozen=True)
class Overlap:
    """A batch's planned targets against the claims other batches hold on the same runs."""

    targets: dict[str, Target] = field(default_factory=dict)  # run key -> planned target
    standing: dict[str, str] = field(default_factory=dict)  # run key -> holder: not again
    free: dict[str, str] = field(default_factory=dict)  # run key -> holder: run over, take

    def claims(self) -> dict[str, str]:
        """Run key -> target key, for ``BatchRepo.claim_runs``."""
        return {key: t.key for key, t in self.targets.items()}

    def holders(self) -> list[tuple[str, int]]:
        """The batches whose runs stand, with how many of this batch's targets each holds,
        most first."""
        return Counter(self.standing.values()).most_common()

    @property
    def rest(self) -> int:
        """The targets no standing run covers: what launching now would launch."""
        return len(self.targets) - len(self.standing)


class LaunchedSincePlan(Conflict):
    """Runs of a plan were launched by other batches after it was made: say how many and
    by whom, and offer to launch the rest (or say the plan was dropped: nothing is left)."""

    def __init__(self, batch: Batch, overlap: Overlap, *, dropped: bool = False) -> None:
        self.batch = batch
        self.holders = tuple(overlap.holders())
        self.standing = len(overlap.standing)
        self.rest = overlap.rest
        self.dropped = dropped
        by = _and(f"`{b}`" for b, _ in self.holders)
        word = _targets_word(overlap)
        if dropped:
            message = (
                f"Nothing launched: all {self.standing:,} {word} of batch `{batch.id}` were "
                f"launched by {by} since the plan, so it was dropped."
            )
            hint = f"Follow it with `/fw status {self.holders[0][0]}`."
        else:
            message = (
                f"{self.standing:,} of these {word} were launched by {by} since the plan; "
                f"launch the other {self.rest:,}?"
            )
            hint = f"Type `/fw confirm {batch.id} others`, or drop it with `/fw cancel {batch.id}`."
        super().__init__(message, hint=hint)


class ClaimedMeanwhile(Exception):
    """Inside the unit of work a claim turned out held by a batch the check had not seen
    (it won the race): the unit rolls back and the click checks again."""


class Overlaps:
    """Reads, before any unit of work, which of a batch's runs other batches hold."""

    def __init__(self, gateway: FlywheelGateway, batches: BatchRepo, keys: LauncherKeys) -> None:
        self._gateway = gateway
        self._batches = batches
        self._keys = keys

    def of(self, batch: Batch) -> Overlap:
        """The planned targets of ``batch`` and the standing and lapsed runs of others on
        them. Reads Flywheel (one tagged-jobs listing per holder) only for holders that
        launched some of these targets."""
        planned = self._batches.targets(batch.id, [TargetState.PLANNED])
        targets = {run_key(batch, t.key, t.inputs): t for t in planned}
        held = {
            k: h for k, h in self._batches.claim_holders(list(targets)).items() if h != batch.id
        }
        if batch.rerun is Rerun.ALL:
            return Overlap(targets, free=held)
        standing: dict[str, str] = {}
        free: dict[str, str] = {}
        for holder_id, keys in _by_holder(held).items():
            holder = self._batches.get_existing(holder_id)
            theirs = {t.key: t for t in self._batches.targets(holder_id)}
            jobs = self._jobs(holder, [theirs.get(targets[k].key) for k in keys])
            for key in keys:
                their = theirs.get(targets[key].key)
                job = _job_of(their, jobs) if their is not None else None
                stands = their is not None and run_stands(holder, their, job, rerun=batch.rerun)
                (standing if stands else free)[key] = holder_id
        return Overlap(targets, standing, free)

    def launching(self, spec: BatchSpec, targets: Sequence[TargetSpec]) -> dict[str, str]:
        """At plan time, from the store alone: the targets another batch is launching now
        and has not launched yet (target key -> its batch). Runs already made are in
        Flywheel, where the planner's skip rule sees them."""
        keys = {
            run_key_of(spec.gear_name, spec.gear_version, spec.config_hash, t.key, t.inputs): (
                t.key
            )
            for t in targets
        }
        held = self._batches.claim_holders(list(keys))
        found: dict[str, str] = {}
        for holder_id, claimed in _by_holder(held).items():
            holder = self._batches.get_existing(holder_id)
            if phase_of(holder) is not Phase.LAUNCHING:  # not stopping, not launched yet
                continue
            planned = {t.key for t in self._batches.targets(holder_id, [TargetState.PLANNED])}
            found.update({keys[k]: holder_id for k in claimed if keys[k] in planned})
        return found

    def _jobs(self, holder: Batch, theirs: Sequence[Target | None]) -> dict[str, JobRecord]:
        if not any(t is not None and t.state is TargetState.LAUNCHED for t in theirs):
            return {}
        with self._keys.as_launcher(holder):  # its jobs: its launcher's (/users/self/jobs)
            jobs = self._gateway.jobs_tagged(batch_tag(holder.id))
        by_id = {j.job_id: j for j in jobs}
        by_id.update({j.analysis_id: j for j in jobs if j.analysis_id})
        return by_id


def _job_of(target: Target, jobs: Mapping[str, JobRecord]) -> JobRecord | None:
    """A launched target's job: by its job id, or (an analysis launch records only the
    analysis it made) by its analysis."""
    return jobs.get(target.job_id or "") or jobs.get(target.analysis_id or "")


def _by_holder(held: Mapping[str, str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for key, holder in held.items():
        grouped.setdefault(holder, []).append(key)
    return grouped


def _and(items: Iterable[str]) -> str:
    words = list(items)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _targets_word(overlap: Overlap) -> str:
    level = next(iter(overlap.targets.values())).target_type if overlap.targets else "session"
    return "project" if level == "project" else f"{level}s"
