"""Settings from the environment (``FWBOT_*``) and an optional ``.env`` file.

Everything the process needs to start lives here, so a missing token is
reported once, by its env var name, before anything connects anywhere.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain import ModeSetting
from bot.errors import FwbotError
from bot.observe.logs import LogFormat

ENV_PREFIX = "FWBOT_"
SlackMode = Literal["socket", "http"]


class SettingsError(FwbotError):
    """The configuration is incomplete or inconsistent; the message names each env var."""


class Settings(BaseSettings):
    """fwbot's configuration; every field is read from ``FWBOT_<FIELD>``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    slack_bot_token: SecretStr | None = Field(
        default=None, description="bot token `xoxb-...` (both modes)"
    )
    slack_app_token: SecretStr | None = Field(
        default=None, description="app-level token `xapp-...` (Socket Mode)"
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None, description="signing secret (HTTP mode)"
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/",
        description="Slack Web API base (tests point it at a mock)",
    )
    flywheel_api_key: SecretStr | None = Field(
        default=None,
        description="`host:KEY` or `host:port:__force_insecure:KEY`",
        json_schema_extra={"shown": "- (required; `serve --demo` embeds the local Flywheel)"},
    )
    accounts: Literal["linked", "shared", "both"] = Field(
        default="both",
        description="who fwbot acts as on Flywheel: `linked` (each person's own key, "
        "`/fw link`), `shared` (fwbot's key; people matched by email) or `both` (linked "
        "where a person linked, else shared); see docs/permissions.md",
    )
    link_encryption_keys: SecretStr | None = Field(
        default=None,
        description="Fernet keys (comma-separated; the first encrypts) for linked API keys "
        "at rest; `fwbot link-key` makes one",
        json_schema_extra={"shown": "none (linking off; `demo` makes one)"},
    )
    data_dir: Path = Field(default=Path("./data"), description="where the SQLite database lives")
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("database_url", "FWBOT_DATABASE_URL", "DATABASE_URL"),
        description="e.g. `postgresql://fwbot@db/fwbot`",
        json_schema_extra={"shown": "SQLite in the data dir", "names": "DATABASE_URL"},
    )
    configs_dir: Path = Field(default=Path("./configs"), description="saved launch configs (YAML)")
    policy_file: Path | None = Field(
        default=None,
        description="lab policy, see [deploy/policy.example.yml](deploy/policy.example.yml)",
        json_schema_extra={"shown": "none (Flywheel roles only)"},
    )
    log_level: str = Field(default="INFO", description="Python log level")
    log_format: LogFormat = Field(
        default="auto",
        description="`json` (one object per line, with the request id), `console` (readable "
        "lines) or `auto`: console on a terminal, JSON otherwise",
    )
    worker_threads: int = Field(
        default=8, ge=1, description="the service's worker pool (launches, polling)"
    )
    launch_mode: ModeSetting = Field(
        default="auto",
        description="utility gears: `auto` (batch API, else per session), `batch-api`, "
        "`per-session`; analysis gears always launch one analysis per session",
    )
    launch_concurrency: int = Field(
        default=8, ge=1, le=64, description="launch requests in flight at once (1-64)"
    )
    launch_deadline: float = Field(
        default=1800.0,
        gt=0,
        description="seconds a launch retries Flywheel's transient errors (429, 5xx, dropped "
        "connections) before failing the sessions still failing",
    )
    watch_interval: float = Field(
        default=30.0,
        gt=0,
        description="seconds between batch-watcher passes (progress messages, summaries, "
        "stuck alerts)",
    )
    outside_runs_interval: float = Field(
        default=180.0,
        gt=0,
        description="seconds between looks at followed projects for batches launched outside "
        "fwbot (events on subscribed channels): a few paged requests per project",
    )
    slack_listener_threads: int = Field(
        default=32, ge=1, description="bolt's listener pool: it only acks and hands over"
    )
    # Few answer threads: answers are mostly CPU under one interpreter lock, and every
    # extra busy thread slows the acks (see bench.ack).
    answer_threads: int = Field(
        default=4,
        ge=1,
        le=256,
        description="commands and clicks answered at once, after their ack",
    )
    answer_backlog: int = Field(
        default=128,
        ge=0,
        description="answers that may wait for a thread; beyond, the user is told fwbot is busy",
    )
    health_port: int = Field(
        default=8080,
        ge=0,
        le=65535,
        description="Socket Mode: the port serving `/healthz`, `/readyz` and `/metrics` (HTTP "
        "mode serves them on its own port; 0 picks a free one)",
    )
    readiness_interval: float = Field(
        default=15.0,
        gt=0,
        description="seconds between `/readyz`'s probes of Flywheel, the database and Slack, "
        "made only while it is asked; unready after 2 failed probes in a row",
    )
    flywheel_url: str | None = Field(
        default=None,
        description="Flywheel's web UI, for links in messages (e.g. `https://upenn.flywheel.io`)",
        json_schema_extra={"shown": "`https://` + the API key's host"},
    )
    stuck_after: timedelta = Field(
        default=timedelta(hours=12),
        description="a job pending or running longer than this (since queued) is stuck: one "
        "alert in its batch's thread (`90m`, `12h`, `2d`, or hours)",
    )
    stuck_after_by_gear: Annotated[dict[str, timedelta], NoDecode] = Field(
        default_factory=dict,
        description="per gear, over `FWBOT_STUCK_AFTER`: `fmriprep=18h,qsiprep=8h` or a JSON "
        "object; a key matches gears whose name contains it (the longest wins)",
        json_schema_extra={"shown": "none"},
    )

    @field_validator("stuck_after", mode="before")
    @classmethod
    def _stuck_after(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, str | int | float) else value

    @field_validator("stuck_after_by_gear", mode="before")
    @classmethod
    def _stuck_after_by_gear(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = _gear_map(value)
        if isinstance(value, dict):
            return {
                str(k).strip(): parse_duration(v) if isinstance(v, str | int | float) else v
                for k, v in value.items()
            }
        return value

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'fwbot.sqlite3').as_posix()}"

    def secret_values(self) -> list[str]:
        """Every secret this process holds, for the log filter that keeps them out of logs:
        the Slack tokens and signing secret, and the Flywheel key whole and its key part."""
        values = [self.secret(n) for n in SECRET_FIELDS]
        key = self.secret("flywheel_api_key")
        if ":" in key:
            values.append(key.rsplit(":", 1)[1])
        values += self.secret("link_encryption_keys").split(",")
        return [v.strip() for v in values if v.strip()]

    def secret(self, name: str) -> str:
        """The plain value of a secret field, or "" when unset."""
        value = getattr(self, name)
        return value.get_secret_value() if isinstance(value, SecretStr) else ""


SECRET_FIELDS = (
    "slack_bot_token",
    "slack_app_token",
    "slack_signing_secret",
    "flywheel_api_key",
    "link_encryption_keys",
)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(d|h|m|min|s)?\s*$", re.IGNORECASE)
_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "min": 60.0, "s": 1.0}


def parse_duration(value: str | float) -> timedelta:
    """``12h``, ``90m``, ``2d``, ``30s``, or a bare number of hours (``6``, ``1.5``)."""
    if isinstance(value, int | float):
        hours = float(value)
    else:
        found = _DURATION.match(value)
        if not found:
            raise ValueError(f"{value!r} is not a duration: write e.g. 12h, 90m, 2d or 6")
        number, unit = float(found.group(1)), (found.group(2) or "h").lower()
        hours = number * _UNITS[unit] / 3600
    if hours <= 0:
        raise ValueError("a duration must be more than zero")
    return timedelta(hours=hours)


def _gear_map(text: str) -> dict[str, str]:
    """``gear=hours,...`` or a JSON object -> {gear: duration text}."""
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        loaded = json.loads(text)
        if not isinstance(loaded, dict):
            raise ValueError("expected a JSON object of gear: duration")
        return {str(k): str(v) for k, v in loaded.items()}
    pairs: dict[str, str] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        gear, sep, duration = item.partition("=")
        if not sep or not gear.strip():
            raise ValueError(f"{item!r}: write gear=duration, e.g. fmriprep=18h")
        pairs[gear.strip()] = duration.strip()
    return pairs


_REQUIRED: dict[str, tuple[tuple[str, str], ...]] = {
    "socket": (("slack_bot_token", "xoxb-"), ("slack_app_token", "xapp-")),
    "http": (("slack_bot_token", "xoxb-"), ("slack_signing_secret", "")),
}


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def require_slack(settings: Settings, mode: SlackMode) -> None:
    """Raise ``SettingsError`` naming every Slack setting ``mode`` needs but lacks."""
    missing: list[str] = []
    malformed: list[str] = []
    for field, prefix in _REQUIRED[mode]:
        value = settings.secret(field).strip()
        if not value:
            missing.append(env_name(field))
        elif prefix and not value.startswith(prefix):
            malformed.append(f"{env_name(field)} should start with `{prefix}`")
    problems = []
    if missing:
        problems.append("missing " + ", ".join(missing))
    problems.extend(malformed)
    if problems:
        where = "Socket Mode" if mode == "socket" else "HTTP mode"
        raise SettingsError(
            f"Cannot start Slack in {where}: " + "; ".join(problems) + ".",
            hint="Set them in the environment or in a .env file (see docs/slack.md).",
        )


def load_settings(**overrides: object) -> Settings:
    """``Settings()`` with validation errors turned into one ``SettingsError`` naming env vars."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as err:
        problems = [
            f"{env_name(str(e['loc'][0])) if e['loc'] else 'settings'}: {e['msg']}"
            for e in err.errors()
        ]
        raise SettingsError("Invalid settings: " + "; ".join(problems) + ".") from None
