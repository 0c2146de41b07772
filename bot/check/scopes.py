"""The bot-token scopes fwbot's Slack app asks for, as its manifests list them.

``deploy/slack-app-manifest.socket.yml`` and ``.http.yml`` (``oauth_config.scopes.bot``)
are the source; they are read when present (a checkout), and ``BOT_SCOPES`` stands in
for them where they are not (the image ships no ``deploy/``). A test keeps the two equal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.settings import SlackMode

BOT_SCOPES: tuple[str, ...] = (
    "commands",
    "chat:write",
    "chat:write.public",
    "users:read",
    "users:read.email",
    "im:write",
    "files:write",
)

DEPLOY_DIR = Path(__file__).resolve().parent.parent.parent / "deploy"


def manifest_path(mode: SlackMode) -> Path:
    return DEPLOY_DIR / f"slack-app-manifest.{mode}.yml"


def needed_scopes(mode: SlackMode) -> tuple[str, ...]:
    """The manifest's bot scopes for ``mode``, or ``BOT_SCOPES`` when the file is absent
    or unreadable."""
    try:
        manifest: Any = yaml.safe_load(manifest_path(mode).read_text(encoding="utf-8"))
        scopes = manifest["oauth_config"]["scopes"]["bot"]
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return BOT_SCOPES
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        return BOT_SCOPES
    return tuple(scopes)


def granted_scopes(headers: dict[str, Any] | None) -> set[str] | None:
    """The scopes Slack says a token has (its ``x-oauth-scopes`` header), None without one."""
    for name, value in (headers or {}).items():
        if name.lower() == "x-oauth-scopes":
            text = ",".join(value) if isinstance(value, list) else str(value)
            return {s.strip() for s in text.split(",") if s.strip()}
    return None
