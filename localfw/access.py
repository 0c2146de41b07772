"""Who may see and do what: Flywheel's permission rules, one place for every route.

A root user (site admin) sees and does everything. Anyone else acts through the
permission entries of projects: an entry names role ids, and the user may do the union
of those roles' actions on that project and everything under it. Where Flywheel does not
document a rule, the strictest reading is taken (see each function).
"""

from __future__ import annotations

from localfw.roles import ALL_ACTIONS
from localfw.router import HttpError
from localfw.world import Doc, World

VIEW = "containers_view_metadata"


def is_root(world: World, uid: str) -> bool:
    return bool(world.users.get(uid, {}).get("root"))


def actions(world: World, uid: str, project_id: str | None) -> frozenset[str]:
    """What ``uid`` may do on the project (everything for root, nothing without a role)."""
    if is_root(world, uid):
        return frozenset(ALL_ACTIONS)
    project = world.projects.get(project_id or "")
    if project is None:
        return frozenset()
    granted: set[str] = set()
    for perm in project.get("permissions", []):
        if perm.get("_id") == uid:
            for rid in perm.get("role_ids", []):
                granted.update(world.roles.get(rid, {}).get("actions", []))
    return frozenset(granted)


def project_of(ctype: str, doc: Doc) -> str | None:
    if ctype == "project":
        return str(doc["_id"])
    return doc.get("parents", {}).get("project")


def viewable_projects(world: World, uid: str) -> set[str] | None:
    """Ids of the projects ``uid`` may view, or None for "all" (root).

    Strictest reading: a permission entry only grants viewing when one of its roles has
    ``containers_view_metadata``.
    """
    if is_root(world, uid):
        return None
    return {pid for pid in world.projects if VIEW in actions(world, uid, pid)}


def can_view(world: World, uid: str, ctype: str, doc: Doc) -> bool:
    if is_root(world, uid):
        return True
    if ctype == "group":
        if any(p.get("_id") == uid for p in doc.get("permissions", [])):
            return True
        return any(
            VIEW in actions(world, uid, pid)
            for pid, p in world.projects.items()
            if p["group"] == doc["_id"]
        )
    return VIEW in actions(world, uid, project_of(ctype, doc))


def require_view(world: World, uid: str, ctype: str, doc: Doc) -> None:
    if not can_view(world, uid, ctype, doc):
        raise HttpError(403, f"User {uid} does not have permission to view {ctype} {doc['_id']}")


def require_action(world: World, uid: str, project_id: str | None, action: str, what: str) -> None:
    """403 unless the user's role on the project has ``action``."""
    if action not in actions(world, uid, project_id):
        raise HttpError(
            403, f"User {uid} does not have permission to {what} (needs {action} on the project)"
        )


def require_root(world: World, uid: str) -> None:
    if not is_root(world, uid):
        raise HttpError(403, "site admin required")


def can_read_job(world: World, uid: str, job: Doc) -> bool:
    """Root, the job's origin, or a role with ``jobs_view`` on the job's project.

    Strictest reading: a role without ``jobs_view`` (e.g. a custom role) does not show
    the project's jobs."""
    if is_root(world, uid) or job.get("origin", {}).get("id") == uid:
        return True
    return "jobs_view" in actions(world, uid, job.get("parents", {}).get("project"))


def require_read_job(world: World, uid: str, job: Doc) -> None:
    if not can_read_job(world, uid, job):
        raise HttpError(403, f"User {uid} does not have permission to access job {job['_id']}")


def require_manage_job(world: World, uid: str, job: Doc) -> None:
    """Cancel or retry: root, the job's origin, or ``jobs_manage_others`` on its project."""
    if is_root(world, uid) or job.get("origin", {}).get("id") == uid:
        return
    if "jobs_manage_others" in actions(world, uid, job.get("parents", {}).get("project")):
        return
    raise HttpError(403, f"User {uid} does not have permission to modify job {job['_id']}")


def require_batch_owner(world: World, uid: str, batch: Doc) -> None:
    """Core's BatchHandler._check_permission: the batch's origin or a site admin."""
    if is_root(world, uid) or batch.get("origin", {}).get("id") == uid:
        return
    raise HttpError(403, f"User {uid} does not have permission to access batch {batch['_id']}")
