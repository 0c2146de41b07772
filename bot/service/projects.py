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
    raise project_not_found(label, list(gateway.all_project_roles(actor.user_key)), actor)


UNLINKED_HINT = (
    "If you have a role on it, link your Flywheel account (`/fw link`) so fwbot sees what "
    "you see."
)


def project_not_found(label: str, mine: list[str], actor: Actor) -> NotFound:
    """The one answer for a project that does not exist or that the actor may not know of:
    the nearest of their own projects, or (not linked) the way to let fwbot see as them."""
    err = NotFound("project", label, suggestions=difflib.get_close_matches(label, mine, n=3))
    if err.hint is None and actor.link_offered:
        err.hint = UNLINKED_HINT
    return err
