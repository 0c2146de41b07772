"""Use cases behind `/fw gears` and `/fw gear`."""

from __future__ import annotations

from bot.domain import Actor, GearDetail, GearSummary
from bot.flywheel.gateway import FlywheelGateway
from bot.service.access import Authorizer
from bot.service.door import Door, use_case
from bot.service.lookups import gear_or_not_found
from bot.service.use_cases import UseCase


class GearService:
    """Read-only gear catalogue. Gears are site-wide, so any Flywheel user may read them."""

    def __init__(self, gateway: FlywheelGateway, access: Authorizer) -> None:
        self._gateway = gateway
        self._door = Door(access)

    @use_case(UseCase.GEARS_LIST)
    def list_gears(self, actor: Actor, text: str | None = None) -> list[GearSummary]:
        """Latest version of each gear; ``text`` filters on name, label and category."""
        self._door.site(actor, UseCase.GEARS_LIST, target=text or "")
        gears = self._gateway.list_gears()
        if not text:
            return gears
        needle = text.casefold()
        return [
            g
            for g in gears
            if needle in g.name.casefold()
            or needle in g.label.casefold()
            or needle in g.category.casefold()
        ]

    @use_case(UseCase.GEAR_SHOW)
    def gear_detail(self, actor: Actor, name: str, version: str | None = None) -> GearDetail:
        """One gear in full; an unknown name suggests the nearest gear names."""
        self._door.site(actor, UseCase.GEAR_SHOW, target=name)
        return gear_or_not_found(self._gateway, name, version)
