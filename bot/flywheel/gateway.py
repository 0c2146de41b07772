"""The gateway protocol: everything fwbot asks of Flywheel, in fwbot's own terms.

The service layer depends on this protocol only; ``SdkGateway`` implements it
with flywheel-sdk, and unit tests may implement it with a fake.

Two Flywheel rules shape it. Every listing is read to its end (an explicit ``limit``, paged
with ``after_id``): a listing without ``limit`` may be one default page and a site may cap
``limit``. And a key sees of other people only what Flywheel shows it: users are keyed by
their ``_id`` (never the ``email`` field), a listing shows a plain key only its own
permission entry, and a project's single ``GET`` shows the whole list only to that
project's admins and site admins.
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
    ProjectMembers,
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
        """One gear (the newest of all its versions, every page read, or the given version)
        with all its versions; None if absent."""
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

    def whoami(self) -> UserRef:
        """The user this key belongs to (``GET /users/self``: any key may read itself), to
        check a linked key and learn its user's ``_id``."""
        ...

    def find_user(self, email: str) -> UserRef | None:
        """The Flywheel user whose ``email`` field is this (case-insensitive), through
        ``GET /users`` (open to any logged-in user) with the email escaped into the filter;
        never ``GET /users/{id}`` (only oneself or a site admin may read that). None if
        absent, or if the site refuses to list users (403)."""
        ...

    def project_members(self, project_id: str) -> ProjectMembers:
        """The project's permission list (user ``_id`` -> role) as this key sees it, with
        ``complete`` true only where Flywheel shows the whole list: to a site admin, or to a
        key that is admin of the project. Elsewhere it holds the key's own entry only."""
        ...

    def project_roles(self, project_id: str) -> dict[str, ProjectRole]:
        """``project_members(project_id).roles``: user ``_id`` -> role, as this key sees it."""
        ...

    def all_project_roles(self, user_id: str) -> dict[str, ProjectRole]:
        """Project label -> the role of user ``user_id`` (a Flywheel ``_id``) on the projects
        this key can see: exact for the key's own user; for anyone else only where this key
        may see the whole list (site admin, or admin of that project), left out elsewhere
        (unknown, not "no role")."""
        ...

    def can_read_roles(self) -> bool:
        """Whether this key may read the site's roles (``GET /roles``; undocumented for a
        plain key). Without them no permission entry can be read as a role: reading roles
        then raises ``FlywheelRefused`` (403). For ``fwbot check``."""
        ...

    def service_account(self) -> str | None:
        """The ``_id`` of the Flywheel user this API key belongs to (never someone to "ask")."""
        ...

    def is_site_admin(self) -> bool:
        """Whether this key's user is a site admin: it alone sees whole permission lists
        everywhere and may read single jobs (``GET /jobs/{id}``)."""
        ...

    def runs_of_gear(
        self, project_id: str, gear_name: str, level: str = "session"
    ) -> list[JobRecord]:
        """Every run of this gear on the project's sessions (or its containers of another
        ``level``: acquisition, subject, project), any version, any state, by anyone (scripts
        and the web UI too), in a few paged queries; a key with project roles suffices. The
        jobs come inside the analysis listing: no job is read again, and a plain key reads
        none one by one (``GET /jobs/{id}`` is for site admins), judging a run whose job the
        listing lacked by its analysis."""
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
