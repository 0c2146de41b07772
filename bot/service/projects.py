"""Finding the project a user typed, with suggestions drawn only from their own projects."""

from __future__ import annotations

import difflib

from bot.domain import Actor, ProjectRef
from bot.errors import NotFound
from bot.flywheel.gateway import FlywheelGateway


def resolve_project(gateway: FlywheelGateway, actor: Actor, label: str) -> ProjectRef:
    """The project labelled exactly ``label``; a typo is answered with the nearest labels
    among the projects the actor has a role on (never names of projects they cannot see)."""
    project = gateway.find_project(label)
    if project is not None:
        return project
    mine = list(gateway.all_project_roles(actor.email))
    raise NotFound("project", label, suggestions=difflib.get_close_matches(label, mine, n=3))
