"""The lab's policy file: rules fwbot adds on top of Flywheel's project roles.

Flywheel decides who can read or write a project; the lab decides which
channels fwbot answers in, which gears each project may run, how large a batch
may be before a second person approves, and who administers fwbot itself.
Unknown keys are errors so a typo never silently loosens a rule.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import FwbotError


class PolicyError(FwbotError):
    """The policy file is missing, unreadable or invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProjectRules(_Strict):
    gears: list[str] | None = Field(
        default=None, description="gears this project may launch; omitted means any gear"
    )
    max_batch_without_approval: int | None = Field(
        default=None, ge=0, description="overrides the lab-wide threshold for this project"
    )


class Policy(_Strict):
    bot_admins: list[str] = Field(default_factory=list, description="emails of fwbot admins")
    allowed_channels: list[str] = Field(
        default_factory=list, description="Slack channel ids fwbot answers in; empty means any"
    )
    max_batch_without_approval: int = Field(default=500, ge=0)
    vm_sizes_needing_approval: list[str] = Field(default_factory=lambda: ["extra-large"])
    projects: dict[str, ProjectRules] = Field(default_factory=dict)

    def is_bot_admin(self, email: str) -> bool:
        return email.casefold() in {a.casefold() for a in self.bot_admins}

    def channel_allowed(self, channel_id: str | None) -> bool:
        return (
            channel_id is None or not self.allowed_channels or channel_id in self.allowed_channels
        )

    def gear_allowed(self, project_label: str, gear_name: str) -> bool:
        rules = self.projects.get(project_label)
        return rules is None or rules.gears is None or gear_name in rules.gears

    def allowed_gears(self, project_label: str) -> list[str] | None:
        rules = self.projects.get(project_label)
        return None if rules is None else rules.gears

    def approval_threshold(self, project_label: str) -> int:
        rules = self.projects.get(project_label)
        if rules is not None and rules.max_batch_without_approval is not None:
            return rules.max_batch_without_approval
        return self.max_batch_without_approval


def load_policy(path: Path | None) -> Policy:
    """Read the policy file; no path means the permissive default (Flywheel roles only)."""
    if path is None:
        return Policy()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise PolicyError(f"Cannot read the policy file {path}: {exc.strerror}.") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"The policy file {path} is not valid YAML: {exc}.") from exc
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise PolicyError(f"The policy file {path} is invalid: {problems}.") from exc
