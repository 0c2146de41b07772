"""Saved configs: YAML files naming a gear, its options, inputs, VM size and sessions.

``model`` is the file shape, ``loader`` the directory, ``manifest`` the check
against the gear, ``service`` the permission-checked use cases. The launcher
uses ``ConfigLibrary.get``/``named_after``, ``default_config``,
``check_against_manifest`` and ``effective_config``.
"""

from __future__ import annotations

from bot.domain import config_hash
from bot.service.configs.loader import ConfigEntry, ConfigLibrary
from bot.service.configs.manifest import (
    check_against_manifest,
    effective_config,
    manifest_defaults,
    manifest_problems,
)
from bot.service.configs.model import (
    SIZE_TAGS,
    AnalysisSource,
    ConfigError,
    InputRef,
    SavedConfig,
    SessionSelection,
    default_config,
)
from bot.service.configs.service import ConfigService, ConfigView

__all__ = [
    "SIZE_TAGS",
    "AnalysisSource",
    "ConfigEntry",
    "ConfigError",
    "ConfigLibrary",
    "ConfigService",
    "ConfigView",
    "InputRef",
    "SavedConfig",
    "SessionSelection",
    "check_against_manifest",
    "config_hash",
    "default_config",
    "effective_config",
    "manifest_defaults",
    "manifest_problems",
]
