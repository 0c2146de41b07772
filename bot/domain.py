"""Domain models shared by every layer: plain, validated, and free of SDK types.

The gateway turns flywheel-sdk objects into these; the service returns them;
commands render them. Sitting at the bottom of the layering, this module
imports nothing from fwbot.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ProjectRole = Literal["none", "read-only", "read-write", "admin"]
ROLE_RANK: dict[str, int] = {"none": 0, "read-only": 1, "read-write": 2, "admin": 3}
JobState = Literal["pending", "scheduled", "running", "complete", "failed", "cancelled"]
FINAL_JOB_STATES: frozenset[str] = frozenset({"complete", "failed", "cancelled"})


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


class JobRecord(Frozen):
    job_id: str
    state: str
    gear_name: str
    gear_version: str
    destination_id: str
    tags: list[str] = Field(default_factory=list)
    failure_reason: str | None = None
    saved_files: list[str] = Field(default_factory=list)
    created: datetime | None = None
