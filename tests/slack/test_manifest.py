"""The Slack app manifest the README tells admins to paste: it must ask for what fwbot uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.slack.listeners.fw_command import COMMAND
from commands.buttons import ButtonAction

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "slack-app-manifest.yml"


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    return loaded


def test_the_manifest_declares_the_slash_command_the_bot_listens_for() -> None:
    commands = [c["command"] for c in manifest()["features"]["slash_commands"]]
    assert commands == [COMMAND]


def test_the_manifest_asks_for_every_scope_fwbot_uses() -> None:
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    # /fw, batch messages and their updates, and mapping Slack users to Flywheel by email
    assert {"commands", "chat:write", "users:read", "users:read.email"} <= scopes


def test_socket_mode_and_interactivity_are_on_for_the_buttons() -> None:
    settings = manifest()["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert list(ButtonAction)  # buttons exist, so interactivity must stay enabled
