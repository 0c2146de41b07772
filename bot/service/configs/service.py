"""Use cases behind `/fw configs` and `/fw config NAME`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from bot.domain import Actor, GearDetail
from bot.flywheel.gateway import FlywheelGateway
from bot.service.access import Authorizer
from bot.service.configs.loader import ConfigEntry, ConfigLibrary
from bot.service.configs.manifest import effective_config, manifest_defaults, manifest_problems
from bot.service.configs.model import SavedConfig
from bot.service.door import Door, use_case
from bot.service.use_cases import UseCase


@dataclass(frozen=True)
class ConfigView:
    """One saved config in full, with what its gear's current manifest says about it.

    ``gear`` is the manifest checked against (the pinned version if installed, else
    the latest); None when the gear is not on the site. ``effective`` is what a
    launch would send; ``defaults`` the manifest's defaults, to show what changed.
    """

    saved: SavedConfig
    file: str
    gear: GearDetail | None
    problems: list[str] = field(default_factory=list)
    effective: dict[str, Any] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.problems


class ConfigService:
    """Read-only saved configs; like the gear catalogue, anyone on the site may read them."""

    def __init__(
        self, library: ConfigLibrary, gateway: FlywheelGateway, access: Authorizer
    ) -> None:
        self.library = library
        self._gateway = gateway
        self._door = Door(access)

    @use_case(UseCase.CONFIGS_LIST)
    def list_configs(self, actor: Actor, gear: str | None = None) -> list[ConfigEntry]:
        """Every saved config (``gear`` keeps one gear's), each checked against its manifest.

        One Flywheel read per distinct gear and version, so a broken or stale config
        is flagged in the list rather than at launch.
        """
        self._door.site(actor, UseCase.CONFIGS_LIST, target=gear or "")
        entries = [e for e in self.library.entries() if gear is None or e.gear == gear]
        manifests: dict[tuple[str, str | None], GearDetail | None] = {}
        out = []
        for entry in entries:
            if entry.saved is None:
                out.append(entry)
                continue
            key = (entry.saved.gear, entry.saved.version)
            if key not in manifests:
                manifests[key] = self._manifest_for(entry.saved)
            problems = self._problems(entry.saved, manifests[key])
            out.append(dataclasses.replace(entry, problems=tuple(problems)))
        return out

    @use_case(UseCase.CONFIG_SHOW)
    def show_config(self, actor: Actor, name: str) -> ConfigView:
        """One config in full; ``NotFound`` (with suggestions) or ``ConfigError`` if broken."""
        self._door.site(actor, UseCase.CONFIG_SHOW, target=name)
        saved = self.library.get(name)
        gear = self._manifest_for(saved)
        if gear is None:
            return ConfigView(saved, saved.source, None, self._problems(saved, None))
        return ConfigView(
            saved=saved,
            file=saved.source,
            gear=gear,
            problems=manifest_problems(saved, gear),
            effective=effective_config(saved, gear),
            defaults=manifest_defaults(gear),
        )

    def _manifest_for(self, saved: SavedConfig) -> GearDetail | None:
        """The pinned version's manifest if installed, else the latest (to report the pin)."""
        if saved.version is not None:
            pinned = self._gateway.get_gear(saved.gear, saved.version)
            if pinned is not None:
                return pinned
        return self._gateway.get_gear(saved.gear)

    @staticmethod
    def _problems(saved: SavedConfig, gear: GearDetail | None) -> list[str]:
        if gear is None:
            return [f"gear: `{saved.gear}` is not installed on this site (see `/fw gears`)"]
        return manifest_problems(saved, gear)
