"""The answer for a project a user typed and may not know of: suggestions drawn only from
their own projects (the door itself is `Authorizer.project_for`)."""

from __future__ import annotations

import difflib

from bot.domain import Actor
from bot.errors import NotFound

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
