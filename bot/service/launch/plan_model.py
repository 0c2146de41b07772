"""What a launch plan is: the request, the plan it makes, and what it left out and why.

Data only, shared by the planner (``plan.py``), the retrier (``retry.py``), the plan
builder and the renderers; no Flywheel, no store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.domain import FileRef, GearDetail, ProjectRef, SessionRef, TargetRef
from bot.domain.claims import Rerun
from bot.service.configs.model import SavedConfig


@dataclass(frozen=True)
class LaunchRequest:
    """What `/fw launch` asked for; None means "from the saved config"."""

    gear: str
    project: str
    config_name: str | None = None
    sessions: str | None = None  # acquisition label contains this, or "all"
    size: str | None = None
    label: str | None = None
    dry_run: bool = False
    rerun: bool = False  # launch again where a run of the same work exists (`rerun`)


@dataclass(frozen=True)
class Skipped:
    session: SessionRef  # the target (a TargetRef for plans that match inputs)
    state: str  # the state of the run that made launching again pointless
    batch_id: str | None = None  # the fwbot batch that run belongs to, if any


@dataclass(frozen=True)
class Unmatched:
    """A target left out because an input has no file there, or several and no ``pick``."""

    target: TargetRef
    input: str
    status: str  # "none" (a required input) or "several"
    reason: str  # for people: "no file for dwi (acquisition acq-64dir_dwi, type nifti)"

    @property
    def state(self) -> str:
        return "no input" if self.status == "none" else "ambiguous input"


@dataclass(frozen=True)
class InputStat:
    """How one input matched across the targets: exactly one file, none, several."""

    name: str
    source: str  # the config's source, described
    required: bool
    one: int = 0
    none: int = 0
    several: int = 0
    picked: int = 0  # of ``one``: several matched and ``pick`` chose


@dataclass(frozen=True)
class LaunchPlan:
    gear: GearDetail
    project: ProjectRef
    saved: SavedConfig
    config: dict[str, Any]
    inputs: dict[str, FileRef]
    label: str
    size: str | None
    vm_tag: str | None
    selection: str
    matched: tuple[SessionRef, ...]
    to_launch: tuple[SessionRef, ...]
    skipped: tuple[Skipped, ...]
    missing_inputs: tuple[str, ...]
    hours_per_job: float = 0.0  # the typical hours of one job: set by the PlanBuilder
    approval_reasons: tuple[str, ...] = field(default=())
    target_type: str = "session"  # what each job runs on: session, acquisition, ...
    unmatched: tuple[Unmatched, ...] = ()  # targets left out for their inputs
    input_stats: tuple[InputStat, ...] = ()  # per input taken from the targets
    rerun: Rerun = Rerun.NONE  # what it launches again where fwbot has the same run

    @property
    def rerun_word(self) -> str:
        """What the plan and the audit say about reruns ("" for the default)."""
        return {Rerun.ALL: "rerun", Rerun.COMPLETE: "rerun complete"}.get(self.rerun, "")

    @property
    def vm_hours(self) -> float:
        return self.hours_per_job * len(self.to_launch)

    @property
    def targets_word(self) -> str:
        """``sessions``, ``acquisitions``, ``subjects`` or ``project``."""
        return "project" if self.target_type == "project" else f"{self.target_type}s"

    def unmatched_by_state(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for u in self.unmatched:
            counts[u.state] = counts.get(u.state, 0) + 1
        return counts

    @property
    def needs_approval(self) -> bool:
        return bool(self.approval_reasons)

    def skipped_batches(self) -> list[str]:
        """fwbot batches already covering skipped sessions, most sessions first."""
        counts: dict[str, int] = {}
        for s in self.skipped:
            if s.batch_id:
                counts[s.batch_id] = counts.get(s.batch_id, 0) + 1
        return sorted(counts, key=lambda b: -counts[b])

    def skipped_by_state(self) -> dict[str, int]:
        """Targets left out, by why: the state of the run they already have, or ``no
        input`` / ``ambiguous input``."""
        counts: dict[str, int] = {}
        for s in self.skipped:
            counts[s.state] = counts.get(s.state, 0) + 1
        for state, n in self.unmatched_by_state().items():
            counts[state] = counts.get(state, 0) + n
        return counts
