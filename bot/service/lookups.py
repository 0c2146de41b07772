"""Lookups several use cases share, with the same answer everywhere when nothing is found:
a gear (or one version of it) by name, and the sessions a selection picks."""

from __future__ import annotations

import difflib

from bot.domain import GearDetail, ProjectRef, SessionRef
from bot.errors import NotFound
from bot.flywheel.gateway import FlywheelGateway
from bot.service.configs.model import SessionSelection


def gear_or_not_found(
    gateway: FlywheelGateway, name: str, version: str | None = None
) -> GearDetail:
    """The gear (at ``version``); else "No version named …" when the gear exists in other
    versions, or "No gear named …" with the nearest names."""
    gear = gateway.get_gear(name, version)
    if gear is not None:
        return gear
    if version is not None and gateway.get_gear(name) is not None:
        raise NotFound("version", f"{name} {version}")
    names = [g.name for g in gateway.list_gears()]
    raise NotFound("gear", name, suggestions=difflib.get_close_matches(name, names, n=3))


def sessions_selected(
    gateway: FlywheelGateway, project: ProjectRef, selection: SessionSelection
) -> list[SessionRef]:
    """The project's sessions the selection picks (by acquisition, then by subject), in
    one paged query."""
    if selection.filters_acquisitions:
        sessions = gateway.sessions_with_acquisition(
            project.project_id,
            selection.has_acquisition,
            label_pattern=selection.acquisition_matches,
        )
    else:
        sessions = gateway.project_sessions(project.project_id)
    return [s for s in sessions if selection.selects_subject(s.subject_label)]
