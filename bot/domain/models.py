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
    """One entry of a gear manifest's ``inputs``."""

    name: str
    base: str  # file, api-key, context
    description: str = ""
    optional: bool = False


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


class UserRef(Frozen):
    user_id: str
    email: str
    display_name: str = ""


class SessionRef(Frozen):
    session_id: str
    label: str
    subject_label: str


class Actor(Frozen):
    """Who is asking: a Slack user resolved to a Flywheel identity (or a console user)."""

    slack_user_id: str | None = None
    email: str
    display_name: str = ""
    bot_admin: bool = False
    channel_id: str | None = None
    via: Literal["slack", "console", "scheduler"] = "slack"


class FileRef(Frozen):
    """A file picked by name on a container: what a gear input points at."""

    parent_type: str
    parent_id: str
    name: str


class JobSpec(Frozen):
    """One job to launch on one session; ``analysis``: the gear is an analysis gear, so the
    job runs in a new analysis labelled ``label`` (never straight into the session)."""

    gear_id: str
    session_id: str
    label: str
    config: dict[str, Any] = Field(default_factory=dict)
    inputs: dict[str, FileRef] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    analysis: bool = True


class LaunchedJob(Frozen):
    """What Flywheel answered for one launched job (the job id may come later)."""

    session_id: str
    job_id: str | None = None
    analysis_id: str | None = None
    tags: tuple[str, ...] = ()  # as Flywheel made the job (read where the answer has them)


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
    created: datetime | None = None
