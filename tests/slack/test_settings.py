"""Settings: FWBOT_* env vars, and one clear message naming each missing one."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import FwbotError
from bot.settings import Settings, SettingsError, load_settings, require_slack


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No FWBOT_* from the developer's shell, and no .env from the repo."""
    for name in list(__import__("os").environ):
        if name.startswith("FWBOT_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_socket_mode_names_each_missing_setting() -> None:
    with pytest.raises(SettingsError) as err:
        require_slack(Settings(), "socket")

    assert isinstance(err.value, FwbotError)
    assert "missing FWBOT_SLACK_BOT_TOKEN, FWBOT_SLACK_APP_TOKEN" in str(err.value)
    assert "SIGNING_SECRET" not in str(err.value)


def test_http_mode_needs_the_signing_secret_not_the_app_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FWBOT_SLACK_BOT_TOKEN", "xoxb-1")

    with pytest.raises(SettingsError) as err:
        require_slack(Settings(), "http")

    assert "missing FWBOT_SLACK_SIGNING_SECRET." in str(err.value)
    assert "APP_TOKEN" not in str(err.value)


def test_a_token_of_the_wrong_kind_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FWBOT_SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("FWBOT_SLACK_APP_TOKEN", "xoxb-pasted-twice")

    with pytest.raises(SettingsError, match="FWBOT_SLACK_APP_TOKEN should start with `xapp-`"):
        require_slack(Settings(), "socket")


def test_complete_settings_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FWBOT_SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("FWBOT_SLACK_APP_TOKEN", "xapp-1")

    require_slack(Settings(), "socket")


def test_env_vars_defaults_and_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FWBOT_SLACK_BOT_TOKEN", "xoxb-secret")
    monkeypatch.setenv("FWBOT_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("FWBOT_WORKER_THREADS", "3")

    settings = Settings()

    assert settings.secret("slack_bot_token") == "xoxb-secret"
    assert "xoxb-secret" not in repr(settings)
    assert settings.worker_threads == 3
    assert settings.flywheel_api_key is None  # the embedded local Flywheel
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path}/d/fwbot.sqlite3"


def test_database_url_is_accepted_unprefixed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://fwbot@db/fwbot")

    assert Settings().resolved_database_url() == "postgresql://fwbot@db/fwbot"


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("FWBOT_SLACK_SIGNING_SECRET=from-dotenv\n")

    assert Settings().secret("slack_signing_secret") == "from-dotenv"


def test_invalid_values_name_the_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FWBOT_WORKER_THREADS", "many")

    with pytest.raises(SettingsError, match="FWBOT_WORKER_THREADS"):
        load_settings()
