"""Value models shared by every layer: plain, validated, and free of SDK types.

The gateway turns flywheel-sdk objects into these; the service returns them;
commands render them. Sitting at the bottom of the layering, the domain package
imports nothing from fwbot but `bot.errors`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.domain.jobs import JobState

ProjectRole = Literal["none", "read-only", "read-write", "admin"]
ROLE_RANK: dict[str, int] = {"none": 0, "read-only": 1, "read-write": 2, "admin": 3}
ANALYSIS_CATEGORY = "analysis"  # a gear of this category runs in an analysis container


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ConfigOption(Frozen):
    """One entry of a gear manifest's ``config``."""

    name: str
    type: str
    default: Any = None
    enum: list[Any] | None = None
    description: str = ""
    optional: bool = True
    minimum: float | None = None
    maximum: float | None = None


class GearInput(Frozen):
    """One entry of a gear manifest's ``inputs``. ``types``: the Flywheel file types a file
    input takes (the manifest's ``type: {enum: [...]}``); None when it declares none."""

    name: str
    base: str  # file, api-key, context
    description: str = ""
    optional: bool = False
    types: list[str] | None = None


class GearSummary(Frozen):
    """What `/fw gears` lists."""

    gear_id: str
    name: str
    label: str
    version: str
    category: str


class GearDetail(Frozen):
    """What `/fw gear NAME` shows: the latest version in full plus the other versions."""

    summary: GearSummary
    description: str = ""
    versions: list[str] = Field(default_factory=list)  # newest first
    inputs: list[GearInput] = Field(default_factory=list)
    config: list[ConfigOption] = Field(default_factory=list)


class ProjectRef(Frozen):
    project_id: str
    label: str
    group: str
    files: tuple[str, ...] = ()  # names of the project's files (inputs are picked by name)
    file_info: tuple[FileInfo, ...] = ()  # the same files with type and version, when read
    # (user _id, role) for each permission entry the listing showed the reading key: a
    # plain key is shown its own, so a person's own key carries their role here
    listed_roles: tuple[tuple[str, ProjectRole], ...] = ()

    def listed_role_of(self, user_id: str) -> ProjectRole | None:
        """The user's role as the listing showed it; None where it showed no entry."""
        return next((role for uid, role in self.listed_roles if uid == user_id), None)


class FileInfo(Frozen):
    """A file on a container as Flywheel's listings show it: its name, Flywheel file type
    (``dicom``, ``nifti`` ...), classification (``{"Measurement": ["Diffusion"]}``) and the
    version it is at (a new upload of the same name is a new version)."""

    name: str
    type: str | None = None
    classification: dict[str, list[str]] = Field(default_factory=dict)
    modality: str | None = None
    version: int | None = None
    file_id: str | None = None
    created: datetime | None = None


class ContainerFiles(Frozen):
    """A project, subject, session or acquisition with its files, from a paged listing.
    ``parents`` are its parents' ids by level (``{"project": ..., "session": ...}``)."""

    container_type: str
    container_id: str
    label: str
    parents: dict[str, str] = Field(default_factory=dict)
    files: tuple[FileInfo, ...] = ()
    subject_label: str = ""  # sessions name their subject


class AnalysisFiles(Frozen):
    """An analysis with its output files and its job's state, from a paged listing."""

    analysis_id: str
    label: str
    parent_type: str
    parent_id: str
    gear_name: str
    gear_version: str
    state: JobState
    created: datetime | None = None
    files: tuple[FileInfo, ...] = ()


class UserRef(Frozen):
    user_id: str
    email: str
    display_name: str = ""


class ProjectMembers(Frozen):
    """A project's permission list as one key sees it.

    Flywheel filters permission lists (core ``_filter_permissions``): a single project
    ``GET`` shows the whole list only to that project's admins (and site admins); anyone
    else sees only their own entry. ``complete`` says which of the two this is, so a
    missing user reads as "cannot tell", never as "no role"."""

    roles: dict[str, ProjectRole]  # Flywheel user ``_id`` -> highest role level
    complete: bool


class SessionRef(Frozen):
    session_id: str
    label: str
    subject_label: str


TARGET_LEVELS = ("session", "acquisition", "subject", "project")


class TargetRef(SessionRef):
    """One target of a launch: the container a job runs on (a session by default; an
    acquisition, subject or the project itself), with the files the plan picked for it.

    ``session_id`` is the session the target is in ("" for a subject or the project);
    ``label`` and ``subject_label`` name it for people (an acquisition reads
    ``ses-PNC1 acq-64dir_dwi``); ``target_label`` is the container's own label."""

    target_type: str = "session"
    target_id: str = ""
    target_label: str = ""
    inputs: dict[str, InputFile] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        """The target's container id (a session's is its session id)."""
        return self.target_id or self.session_id

    @classmethod
    def of_session(cls, session: SessionRef) -> TargetRef:
        if isinstance(session, TargetRef):
            return session
        return cls(
            session_id=session.session_id,
            label=session.label,
            subject_label=session.subject_label,
            target_id=session.session_id,
            target_label=session.label,
        )


class Actor(Frozen):
    """Who is asking: a Slack user resolved to a Flywheel identity (or a console user)."""

    slack_user_id: str | None = None
    email: str
    display_name: str = ""
    bot_admin: bool = False
    channel_id: str | None = None
    via: Literal["slack", "console", "scheduler"] = "slack"
    # The Flywheel user ``_id`` (roles are keyed by it, never by the email field); None only
    # for a fwbot admin whom Flywheel does not know.
    flywheel_user_id: str | None = None
    # Proven by the person's own linked key (and then their calls use it), not an email match.
    linked: bool = False
    # Not linked, on a fwbot that offers linking: answers may say "/fw link".
    link_offered: bool = False

    @property
    def user_key(self) -> str:
        """What Flywheel's permission entries name this person by."""
        return self.flywheel_user_id or self.email


class FileRef(Frozen):
    """A file picked by name on a container: what a gear input points at."""

    parent_type: str
    parent_id: str
    name: str


class InputFile(FileRef):
    """A file the plan picked for one target's input, at the version it saw: a job names a
    file by container and name (Flywheel's FileReference), and records the version it read
    in its config (``config.inputs[name].object.version``)."""

    version: int | None = None
    file_id: str | None = None


class JobSpec(Frozen):
    """One job to launch on one target (a session unless ``target_type`` says otherwise);
    ``analysis``: the gear is an analysis gear, so the job runs in a new analysis on the
    target labelled ``label`` (never straight into the target's files)."""

    gear_id: str
    session_id: str
    label: str
    config: dict[str, Any] = Field(default_factory=dict)
    inputs: dict[str, FileRef] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    analysis: bool = True
    target_type: str = "session"
    target_id: str | None = None  # None: the session

    @property
    def destination_id(self) -> str:
        return self.target_id or self.session_id


class LaunchedJob(Frozen):
    """What Flywheel answered for one launched job (the job id may come later)."""

    session_id: str
    job_id: str | None = None
    analysis_id: str | None = None
    tags: tuple[str, ...] = ()  # as Flywheel made the job (read where the answer has them)
    target_id: str | None = None  # the container it runs on, when not simply the session


class FlywheelBatchRef(Frozen):
    """One of fwbot's own Flywheel batches as ``GET /batch`` lists it. Flywheel never
    shows a proposal's jobs there (nor in ``GET /batch/{id}``): only its id, state and
    times; a batch of premade jobs has no ``gear_id`` (a classic proposal has one)."""

    batch_id: str
    state: str
    premade: bool


class JobRecord(Frozen):
    """A job as fwbot needs it: state, where it ran, with what, and what it left."""

    job_id: str
    state: JobState
    gear_name: str
    gear_version: str
    session_id: str | None = None
    analysis_id: str | None = None
    label: str = ""
    config: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    failure_reason: str | None = None
    saved_files: list[str] = Field(default_factory=list)
    created: datetime | None = None  # when it was queued
    modified: datetime | None = None
    # when it entered each state, as Flywheel records it (``transitions.running`` ...)
    transitions: dict[str, datetime] = Field(default_factory=dict)
    # where it ran: its parents by level (group, project, subject, session, acquisition)
    parents: dict[str, str] = Field(default_factory=dict)
    # the files it read, at the versions it read (empty: Flywheel did not say)
    input_files: tuple[InputFile, ...] = ()

    def target_of(self, level: str) -> str | None:
        """The container of that level it ran on (its session, acquisition ...)."""
        if level == "session":
            return self.session_id or self.parents.get("session")
        return self.parents.get(level)


# Models above name ones defined after them (a project's files, a target's inputs).
ProjectRef.model_rebuild()
TargetRef.model_rebuild()
