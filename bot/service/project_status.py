"""A project's state from Flywheel and fwbot's store: the tutorial's "latest good run" per
session, one line per gear, and the recent batches.

The tutorial ("Munging Through a Large List of Jobs") finds, per session, the most recent
complete analysis of a gear and checks its outputs (``run_succeeded``). Here the same
answer comes from a few paged requests: the project's sessions (and, when the gear's saved
config picks sessions by acquisition, the matching acquisitions) and every analysis of
the project's sessions with its job inflated (``FlywheelGateway.project_runs``), so runs
made outside fwbot (scripts, the web UI, gear rules) count like fwbot's own. Never one
request per session.

Batch lists come from the store alone (counts as the batch watcher last saw them) and
show only batches on projects the actor may read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from bot.domain import (
    ACTIVE_JOB_STATES,
    Actor,
    Batch,
    JobState,
    ProjectRef,
    SessionRef,
)
from bot.domain.claims import outputs_present
from bot.domain.runs import ProjectRun
from bot.flywheel.gateway import FlywheelGateway
from bot.observe.context import ContextThreadPool
from bot.service.access import Authorizer
from bot.service.configs.loader import ConfigError, ConfigLibrary
from bot.service.configs.model import SavedConfig, SessionSelection
from bot.service.door import Door, use_case
from bot.service.lookups import gear_or_not_found, sessions_selected
from bot.service.use_cases import UseCase
from bot.store.batches import BatchRepo

DEFAULT_EXPECT_OUTPUTS = ("*.html.zip",)  # the tutorial's `run_succeeded`
BATCHES_SHOWN = 15
MAX_BATCHES = 50


class Outcome(StrEnum):
    """Where a session stands for one gear (its runs, latest first, decide)."""

    GOOD = "good"  # a complete run with the expected outputs
    RUNNING = "running"  # no good run yet, one pending or running
    NO_OUTPUTS = "no outputs"  # complete, but without the expected outputs
    FAILED = "failed"  # only failed or cancelled runs
    NONE = "none"  # never run


OUTCOME_ORDER = (Outcome.GOOD, Outcome.RUNNING, Outcome.NO_OUTPUTS, Outcome.FAILED, Outcome.NONE)


@dataclass(frozen=True)
class SessionStatus:
    """One session: its outcome and the run that shows it (the latest good one, else the
    latest of all; None when never run)."""

    session: SessionRef
    outcome: Outcome
    run: ProjectRun | None = None
    runs: int = 0

    @property
    def outputs_present(self) -> bool:
        return self.outcome is Outcome.GOOD


@dataclass(frozen=True)
class GearStatus:
    """`/fw status project=P gear=G [version=V]`: every session in scope, in label order."""

    project: ProjectRef
    gear: str
    version: str | None
    expect_outputs: tuple[str, ...]
    scope: str  # which sessions: "acquisition contains acq-64dir_dwi (config `qsiprep-hpc`)"
    sessions: tuple[SessionStatus, ...]
    runs: int  # runs of the gear (and version) on those sessions
    runs_outside_fwbot: int  # of which launched by scripts, the web UI, gear rules

    def counts(self) -> dict[Outcome, int]:
        return _count(s.outcome for s in self.sessions)


@dataclass(frozen=True)
class GearLine:
    """One gear's line in `/fw status project=P`: its sessions by outcome."""

    gear: str
    counts: dict[Outcome, int]
    runs: int
    latest: datetime | None


@dataclass(frozen=True)
class ProjectOverview:
    project: ProjectRef
    sessions: int  # every session of the project: what the counts are out of
    gears: tuple[GearLine, ...]


@dataclass(frozen=True)
class BatchList:
    """`/fw batches` and `/fw status mine`: newest first, counts as last seen."""

    batches: tuple[Batch, ...]
    now: datetime
    project: str | None = None
    mine: bool = False


class ProjectStatusService:
    def __init__(
        self,
        gateway: FlywheelGateway,
        access: Authorizer,
        configs: ConfigLibrary,
        batches: BatchRepo,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._gateway = gateway
        self._door = Door(access)
        self._configs = configs
        self._batches = batches
        self._now = now

    # -- a project in Flywheel -------------------------------------------------------
    @use_case(UseCase.STATUS_PROJECT)
    def gear_status(
        self, actor: Actor, project_label: str, gear: str, version: str | None = None
    ) -> GearStatus:
        """Per session, the latest good run of ``gear`` (``version``): the tutorial's view."""
        project = self._door.project(actor, UseCase.STATUS_PROJECT, project_label, target=gear)
        saved = self._configs.named_after(gear)
        selection = saved.sessions if saved is not None else SessionSelection()
        patterns = tuple(saved.expect_outputs) if saved is not None else DEFAULT_EXPECT_OUTPUTS
        with ContextThreadPool(1, thread_name_prefix="fwbot-status") as pool:  # both at once
            runs_future = pool.submit(self._gateway.project_runs, project.project_id)
            sessions = self._sessions(project, selection)
            runs = [
                r
                for r in runs_future.result()
                if r.gear_name == gear and (version is None or r.gear_version == version)
            ]
        if not runs:  # a typo, or truly never run: only then is the gear looked up
            self._check_gear(gear, version)
        by_session = _by_session(runs)
        statuses = tuple(_status(s, by_session.get(s.session_id, []), patterns) for s in sessions)
        wanted = {s.session_id for s in sessions}
        counted = [r for r in runs if r.session_id in wanted]
        scope = selection.describe()
        if saved is not None:
            scope += f" (config `{saved.name}`)"
        return GearStatus(
            project=project,
            gear=gear,
            version=version,
            expect_outputs=patterns,
            scope=scope,
            sessions=statuses,
            runs=len(counted),
            runs_outside_fwbot=sum(1 for r in counted if r.fwbot_batch is None),
        )

    @use_case(UseCase.STATUS_PROJECT)
    def overview(self, actor: Actor, project_label: str) -> ProjectOverview:
        """One line per gear run on the project's sessions, out of all its sessions."""
        project = self._door.project(actor, UseCase.STATUS_PROJECT, project_label)
        with ContextThreadPool(1, thread_name_prefix="fwbot-status") as pool:
            runs_future = pool.submit(self._gateway.project_runs, project.project_id)
            sessions = self._gateway.project_sessions(project.project_id)
            runs = runs_future.result()
        ids = {s.session_id for s in sessions}
        per_gear: dict[str, list[ProjectRun]] = {}
        for run in runs:
            if run.session_id in ids:
                per_gear.setdefault(run.gear_name, []).append(run)
        lines = []
        for gear, gear_runs in sorted(per_gear.items()):
            saved = self._configs_named_after(gear)
            patterns = tuple(saved.expect_outputs) if saved is not None else DEFAULT_EXPECT_OUTPUTS
            by_session = _by_session(gear_runs)
            counts = _count(
                _status(s, by_session.get(s.session_id, []), patterns).outcome for s in sessions
            )
            lines.append(
                GearLine(
                    gear=gear,
                    counts=counts,
                    runs=len(gear_runs),
                    latest=max(r.created for r in gear_runs),
                )
            )
        return ProjectOverview(project=project, sessions=len(sessions), gears=tuple(lines))

    # -- batches in the store -----------------------------------------------------------
    @use_case(UseCase.BATCHES_PROJECT, UseCase.BATCHES_LIST)
    def batches(
        self,
        actor: Actor,
        *,
        project_label: str | None = None,
        mine: bool = False,
        limit: int = BATCHES_SHOWN,
    ) -> BatchList:
        """Recent batches, newest first: on one project (read access needed), the actor's
        own (``mine``), or else those on every project the actor may read."""
        limit = max(1, min(limit, MAX_BATCHES))
        requester = actor.email if mine else None
        if project_label is not None:
            project = self._door.project(actor, UseCase.BATCHES_PROJECT, project_label)
            found = self._batches.find(
                project_label=project.label, requester_email=requester, limit=limit
            )
            return BatchList(tuple(found), self._now(), project=project.label, mine=mine)
        self._door.site(actor, UseCase.BATCHES_LIST, target="mine" if mine else "")
        readable: list[str] | None = None
        if not actor.bot_admin:
            readable = sorted(self._gateway.all_project_roles(actor.user_key))
        found = self._batches.find(requester_email=requester, project_labels=readable, limit=limit)
        return BatchList(tuple(found), self._now(), mine=mine)

    # -- internals ---------------------------------------------------------------------
    def _check_gear(self, gear: str, version: str | None) -> None:
        """A gear (version) the site does not have is an error naming the nearest ones,
        not "0 sessions have a good run"."""
        gear_or_not_found(self._gateway, gear, version)

    def _sessions(self, project: ProjectRef, selection: SessionSelection) -> list[SessionRef]:
        return sessions_selected(self._gateway, project, selection)

    def _configs_named_after(self, gear: str) -> SavedConfig | None:
        try:
            return self._configs.named_after(gear)
        except ConfigError:  # a broken config must not hide the other gears' lines
            return None


def _by_session(runs: Iterable[ProjectRun]) -> dict[str, list[ProjectRun]]:
    found: dict[str, list[ProjectRun]] = {}
    for run in runs:
        if run.session_id is not None:
            found.setdefault(run.session_id, []).append(run)
    for session_runs in found.values():
        session_runs.sort(key=lambda r: (r.created, r.analysis_id))
    return found


def _status(
    session: SessionRef, runs: list[ProjectRun], patterns: tuple[str, ...]
) -> SessionStatus:
    """``runs`` oldest first. The latest good run wins; else what the runs say, in order:
    one still running, one complete without the outputs, only failed or cancelled ones."""
    if not runs:
        return SessionStatus(session, Outcome.NONE)
    good = [r for r in runs if r.state is JobState.COMPLETE and _outputs(r, patterns)]
    if good:
        return SessionStatus(session, Outcome.GOOD, good[-1], len(runs))
    if any(r.state in ACTIVE_JOB_STATES for r in runs):
        return SessionStatus(session, Outcome.RUNNING, runs[-1], len(runs))
    complete = [r for r in runs if r.state is JobState.COMPLETE]
    if complete:
        return SessionStatus(session, Outcome.NO_OUTPUTS, complete[-1], len(runs))
    return SessionStatus(session, Outcome.FAILED, runs[-1], len(runs))


def _outputs(run: ProjectRun, patterns: tuple[str, ...]) -> bool:
    return outputs_present(list(run.saved_files), patterns)


def _count(outcomes: Iterable[Outcome]) -> dict[Outcome, int]:
    counts = dict.fromkeys(OUTCOME_ORDER, 0)
    for outcome in outcomes:
        counts[outcome] += 1
    return counts
