"""Planning a launch: which sessions, with what, skipping what, at what cost. No side effects.

This replaces the tutorial's loop (`project.sessions()`, then `session.acquisitions()`
per session) with a few paged queries, and adds what the loop lacked: sessions that
already have a run of the same gear, version and config are skipped, so a repeated
launch never doubles the work.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from bot.domain import (
    ACTIVE_JOB_STATES,
    Actor,
    FileRef,
    GearDetail,
    JobRecord,
    JobState,
    ProjectRef,
    SessionRef,
    batch_of_tags,
)
from bot.errors import NotFound, UsageError
from bot.flywheel.gateway import FlywheelGateway
from bot.service.access import Authorizer
from bot.service.configs.loader import ConfigLibrary
from bot.service.configs.manifest import check_against_manifest, effective_config
from bot.service.configs.model import SIZE_TAGS, SavedConfig, SessionSelection, default_config
from bot.service.policy import Policy
from bot.service.projects import resolve_project
from bot.service.use_cases import UseCase

# Typical hours per session, by gear family: enough to show the order of magnitude of a
# launch's cost before anyone clicks. Unknown gears count one hour.
TYPICAL_HOURS = {"qsiprep": 3.0, "fmriprep": 6.0, "mriqc": 0.5, "xcpengine": 1.0}
ALL_SESSIONS = "all"


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


@dataclass(frozen=True)
class Skipped:
    session: SessionRef
    state: str  # the state of the run that made launching again pointless
    batch_id: str | None = None  # the fwbot batch that run belongs to, if any


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
    hours_per_job: float
    approval_reasons: tuple[str, ...] = field(default=())

    @property
    def vm_hours(self) -> float:
        return self.hours_per_job * len(self.to_launch)

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
        counts: dict[str, int] = {}
        for s in self.skipped:
            counts[s.state] = counts.get(s.state, 0) + 1
        return counts


class Planner:
    def __init__(
        self,
        gateway: FlywheelGateway,
        access: Authorizer,
        configs: ConfigLibrary,
        policy: Policy,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._gateway = gateway
        self._access = access
        self._configs = configs
        self._policy = policy
        self._now = now

    def plan(self, actor: Actor, request: LaunchRequest, *, use_case: UseCase) -> LaunchPlan:
        """Resolve, check, match and skip; the access check comes before any other Flywheel read."""
        project = resolve_project(self._gateway, actor, request.project)
        self._access.authorize(actor, use_case, project=project, target=request.gear)
        if not self._policy.gear_allowed(project.label, request.gear):
            allowed = ", ".join(self._policy.allowed_gears(project.label) or [])
            self._access.refuse(
                actor,
                f"The lab policy does not allow `{request.gear}` on `{project.label}`.",
                hint=f"Allowed there: {allowed}." if allowed else None,
                use_case=use_case,
                reason="gear not allowed by policy",
                project_label=project.label,
                target=request.gear,
            )
        saved = self._saved_config(request)
        gear = self._gear(request.gear, saved.version)
        check_against_manifest(saved, gear)
        config = effective_config(saved, gear)
        inputs, missing = _inputs(saved, project)
        size = request.size or saved.size
        selection = _selection(saved.sessions, request.sessions)
        with ThreadPoolExecutor(1, thread_name_prefix="fwbot-plan") as pool:  # reads overlap
            runs = pool.submit(self._gateway.runs_of_gear, project.project_id, gear.summary.name)
            matched = self._match(project, selection)
        to_launch, skipped = _skip_existing(
            matched,
            runs.result(),
            version=gear.summary.version,
            config=config,
            skip_complete=saved.skip == "complete",
        )
        label = request.label or saved.label_for(gear.summary.version, self._now())
        plan = LaunchPlan(
            gear=gear,
            project=project,
            saved=saved,
            config=config,
            inputs=inputs,
            label=label,
            size=size,
            vm_tag=SIZE_TAGS.get(size) if size else None,
            selection=selection.describe(),
            matched=tuple(matched),
            to_launch=tuple(to_launch),
            skipped=tuple(skipped),
            missing_inputs=tuple(missing),
            hours_per_job=_typical_hours(gear.summary.name),
        )
        return _with_approval(plan, self._policy)

    # -- resolution --------------------------------------------------------
    def _saved_config(self, request: LaunchRequest) -> SavedConfig:
        if request.config_name is not None:
            saved = self._configs.get(request.config_name)
            if saved.gear != request.gear:
                raise UsageError(
                    f"Config `{saved.name}` is for `{saved.gear}`, not `{request.gear}`.",
                    hint=f"Try `/fw launch {saved.gear} project=... config={saved.name}`, "
                    f"or `/fw configs gear={request.gear}`.",
                )
            return saved
        named = self._configs.named_after(request.gear)
        if named is not None:
            return named
        gear = self._gear(request.gear, None)
        return default_config(gear)

    def _gear(self, name: str, version: str | None) -> GearDetail:
        gear = self._gateway.get_gear(name, version)
        if gear is not None:
            return gear
        if version is not None and self._gateway.get_gear(name) is not None:
            raise NotFound("version", f"{name} {version}")
        names = [g.name for g in self._gateway.list_gears()]
        raise NotFound("gear", name, suggestions=difflib.get_close_matches(name, names, n=3))

    def _match(self, project: ProjectRef, selection: SessionSelection) -> list[SessionRef]:
        if selection.filters_acquisitions:
            sessions = self._gateway.sessions_with_acquisition(
                project.project_id,
                selection.has_acquisition,
                label_pattern=selection.acquisition_matches,
            )
        else:
            sessions = self._gateway.project_sessions(project.project_id)
        matched = [s for s in sessions if selection.selects_subject(s.subject_label)]
        if not matched:
            raise UsageError(
                f"No session of `{project.label}` matches {selection.describe()}.",
                hint="Check the acquisition label (e.g. `sessions=acq-64dir_dwi`), "
                "or use `sessions=all`.",
            )
        return matched


def _selection(saved: SessionSelection, override: str | None) -> SessionSelection:
    """`sessions=TEXT` replaces the config's acquisition rule (its subject list stays)."""
    if override is None:
        return saved
    if override.casefold() == ALL_SESSIONS:
        return SessionSelection(subjects=saved.subjects)
    return SessionSelection(has_acquisition=override, subjects=saved.subjects)


def _inputs(saved: SavedConfig, project: ProjectRef) -> tuple[dict[str, FileRef], list[str]]:
    """Inputs by project file name; a name the project lacks is reported, never guessed."""
    found: dict[str, FileRef] = {}
    missing: list[str] = []
    for name, ref in saved.inputs.items():
        if ref.project_file in project.files:
            found[name] = FileRef(
                parent_type="project", parent_id=project.project_id, name=ref.project_file
            )
        else:
            missing.append(f"{name} (project file `{ref.project_file}`)")
    return found, missing


def _same_run(run: JobRecord, version: str, config: dict[str, Any]) -> bool:
    """Same gear version and the same values for every option we would send."""
    return run.gear_version == version and all(run.config.get(k) == v for k, v in config.items())


def _skip_existing(
    matched: list[SessionRef],
    runs: list[JobRecord],
    *,
    version: str,
    config: dict[str, Any],
    skip_complete: bool,
) -> tuple[list[SessionRef], list[Skipped]]:
    """Active runs always block a relaunch; complete ones too when the config says so."""
    blocking: dict[str, JobRecord] = {}
    for run in runs:
        if run.session_id is None or not _same_run(run, version, config):
            continue
        blocks = run.state in ACTIVE_JOB_STATES or (
            skip_complete and run.state is JobState.COMPLETE
        )
        # "complete" wins over an active state when saying why a session is skipped
        seen = blocking.get(run.session_id)
        if blocks and (seen is None or seen.state is not JobState.COMPLETE):
            blocking[run.session_id] = run
    to_launch = [s for s in matched if s.session_id not in blocking]
    skipped = [
        Skipped(s, blocking[s.session_id].state, batch_of_tags(blocking[s.session_id].tags))
        for s in matched
        if s.session_id in blocking
    ]
    return to_launch, skipped


def _typical_hours(gear_name: str) -> float:
    return next((h for family, h in TYPICAL_HOURS.items() if family in gear_name), 1.0)


def _with_approval(plan: LaunchPlan, policy: Policy) -> LaunchPlan:
    reasons = []
    threshold = policy.approval_threshold(plan.project.label)
    if len(plan.to_launch) > threshold:
        reasons.append(f"{len(plan.to_launch):,} jobs is over the {threshold:,}-job limit")
    if plan.size is not None and plan.size in policy.vm_sizes_needing_approval:
        reasons.append(f"size `{plan.size}` needs approval")
    if not reasons:
        return plan
    return replace(plan, approval_reasons=tuple(reasons))
