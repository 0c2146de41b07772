"""Settings from the environment (``FWBOT_*``) and an optional ``.env`` file.

Everything the process needs to start lives here, so a missing token is
reported once, by its env var name, before anything connects anywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.domain import ModeSetting
from bot.errors import FwbotError

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

    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None  # xapp-..., Socket Mode only
    slack_signing_secret: SecretStr | None = None  # HTTP mode only
    slack_api_url: str = "https://slack.com/api/"
    flywheel_api_key: SecretStr | None = None  # None: use the embedded local Flywheel
    data_dir: Path = Path("./data")
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("database_url", "FWBOT_DATABASE_URL", "DATABASE_URL"),
    )
    configs_dir: Path = Path("./configs")
    policy_file: Path | None = None
    log_level: str = "INFO"
    worker_threads: int = Field(default=8, ge=1)
    # How launches reach Flywheel: "auto" tries the batch API, then per-session launches.
    # Utility gears only: analysis gears always launch as one analysis per session.
    launch_mode: ModeSetting = "auto"
    # Launch requests in flight at once (analyses are created one request per session).
    launch_concurrency: int = Field(default=8, ge=1, le=64)
    # Seconds a launch keeps retrying Flywheel's transient errors (429, 5xx, dropped
    # connections) before the sessions still failing are failed for good.
    launch_deadline: float = Field(default=1800.0, gt=0)
    # Seconds between batch-watcher passes (progress messages, completion).
    watch_interval: float = Field(default=30.0, gt=0)
    # bolt runs listeners (and so acks) on this pool: too small and acks queue behind answers
    slack_listener_threads: int = Field(default=32, ge=1)
    # Commands and clicks answered at once (after their ack), and how many more may wait;
    # beyond that the user is told fwbot is busy. Few threads: answers are mostly CPU under
    # one interpreter lock, and every extra busy thread slows the acks (see bench.ack).
    answer_threads: int = Field(default=4, ge=1, le=256)
    answer_backlog: int = Field(default=128, ge=0)

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'fwbot.sqlite3').as_posix()}"

    def secret(self, name: str) -> str:
        """The plain value of a secret field, or "" when unset."""
        value = getattr(self, name)
        return value.get_secret_value() if isinstance(value, SecretStr) else ""


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
