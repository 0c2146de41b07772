"""The gateway protocol: everything fwbot asks of Flywheel, in fwbot's own terms.

The service layer depends on this protocol only; ``SdkGateway`` implements it
with flywheel-sdk, and unit tests may implement it with a fake.
"""

from __future__ import annotations

from typing import Protocol

from bot.domain import (
    AnalysisFiles,
    ContainerFiles,
    FlywheelBatchRef,
    GearDetail,
    GearSummary,
    JobRecord,
    JobSpec,
    LaunchedJob,
    ProjectRef,
    ProjectRole,
    SessionRef,
    UserRef,
)
from bot.domain.runs import ProjectRun
from bot.errors import FlywheelRefused, FwbotError


class BatchApiUnsupported(FwbotError):
    """The site has no batch API for premade jobs: launch per session instead."""


class LaunchRejected(FlywheelRefused):
    """Flywheel refused to create a job (bad input, unknown destination): retrying won't help."""



class FlywheelGateway(Protocol):
    def list_gears(self) -> list[GearSummary]:
        """Latest version of every gear on the site, sorted by name."""
        ...

    def get_gear(self, name: str, version: str | None = None) -> GearDetail | None:
        """One gear (latest or the given version) with all its versions; None if absent."""
        ...

    def find_project(self, label: str) -> ProjectRef | None:
        """The project with exactly this label (escaped: the label can never widen the query)."""
        ...

    def project_sessions(self, project_id: str) -> list[SessionRef]:
        """All sessions of a project, sorted by subject and session label."""
        ...

    def sessions_with_acquisition(
        self,
        project_id: str,
        label_contains: str | None = None,
        *,
        label_pattern: str | None = None,
    ) -> list[SessionRef]:
        """Sessions having an acquisition whose label contains the text and/or matches the
        regex (searched anywhere in the label), in a few paged queries."""
        ...

    def containers(
        self, project_id: str, level: str, *, label_regex: str | None = None
    ) -> list[ContainerFiles]:
        """The project's subjects, sessions or acquisitions (``level``) with their files
        (name, type, classification, version), in a few paged queries; ``label_regex`` (an
        unquoted ``=~`` filter value built with ``filters.literal_regex``) lists fewer."""
        ...

    def analyses_with_files(self, project_id: str, level: str) -> list[AnalysisFiles]:
        """Every analysis on the project's containers of ``level`` (``project``: on the
        project itself), with its job's state and its output files, in a few paged
        queries."""
        ...

    def project_roles(self, project_id: str) -> dict[str, ProjectRole]:
        """Flywheel user id (email) -> role on the project, from its permissions list."""
        ...

    def all_project_roles(self, email: str) -> dict[str, ProjectRole]:
        """Project label -> the user's role there, for every project the site has (one query)."""
        ...

    def find_user(self, email: str) -> UserRef | None:
        """The Flywheel user with this id (Flywheel user ids are emails); None if absent."""
        ...

    def service_account(self) -> str | None:
        """The Flywheel user fwbot's own API key belongs to (never someone to "ask")."""
        ...

    def runs_of_gear(
        self, project_id: str, gear_name: str, level: str = "session"
    ) -> list[JobRecord]:
        """Every run of this gear on the project's sessions (or its containers of another
        ``level``: acquisition, subject, project), any version, any state, by anyone (scripts
        and the web UI too), in a few queries; a key with project roles suffices."""
        ...

    def project_runs(self, project_id: str) -> list[ProjectRun]:
        """Every gear run on the project's sessions (any gear, any state, by anyone), with
        its job's origin, tags and state times, in a few paged requests (never one per
        session)."""
        ...

    def jobs_tagged(self, tag: str) -> list[JobRecord]:
        """fwbot's own jobs carrying ``tag`` (each batch's jobs are tagged ``fwbot:<batch id>``)."""
        ...

    def create_batch(self, jobs: list[JobSpec]) -> str:
        """Propose a batch of premade jobs (utility gears only: they run exactly as given, so an
        analysis gear would write into the session); returns Flywheel's batch id. Nothing runs
        yet. Raises ``BatchApiUnsupported`` when the site has no such API (405/501)."""
        ...

    def start_batch(self, flywheel_batch_id: str) -> list[LaunchedJob]:
        """Run a proposed batch: its jobs are created, one per session."""
        ...

    def batch_state(self, flywheel_batch_id: str) -> str:
        """``pending`` (proposed, not run), ``running``, ``complete``, ``cancelled`` ..."""
        ...

    def own_batches(self) -> list[FlywheelBatchRef]:
        """The Flywheel batches fwbot's own account created (``GET /batch``: a plain user
        sees only its own), each with its state; never a proposal's jobs, which Flywheel
        shows only in its answer to the proposal. Raises ``BatchApiUnsupported`` when the
        site has no batch API (405/501)."""
        ...

    def launch_one(self, job: JobSpec) -> LaunchedJob:
        """Launch one job on its target (a session, or the acquisition, subject or project
        it names): a new analysis with its job for an analysis gear
        (``gear.run(analysis_label=..., destination=target)``), else a job on the target.
        Raises ``LaunchRejected`` for a 4xx, ``FlywheelBusy`` for a 429."""
        ...

    def cancel_batch(self, flywheel_batch_id: str) -> int:
        """Cancel a Flywheel batch's pending jobs in one request; returns how many."""
        ...

    def cancel_job(self, job_id: str) -> bool:
        """Cancel one job; False when it had already ended (nothing to cancel)."""
        ...
