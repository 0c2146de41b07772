"""Who may see and do what: Flywheel's permission rules, one place for every route.

A root user (site admin) sees and does everything. Anyone else acts through the
permission entries of projects: an entry names role ids, and the user may do the union
of those roles' actions on that project and everything under it. Each rule names its
source (core is scitran/core's code); where none exists it says "no source" and takes the
stricter reading a real site could serve.
"""

from __future__ import annotations

from localfw.render import json_copy
from localfw.roles import ALL_ACTIONS
from localfw.router import HttpError
from localfw.world import Doc, World

VIEW = "containers_view_metadata"
ADMIN_ROLE = "admin"  # the built-in admin role's default_flywheel_role


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

    No source: a permission entry only grants viewing when one of its roles has
    ``containers_view_metadata`` (the stricter reading).
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


def is_project_admin(world: World, uid: str, project: Doc) -> bool:
    """Core's ``_filter_permissions`` keeps the whole list for ``access == 'admin'``. Roles
    replaced access levels; the strict reading taken (no source): only the built-in admin
    role (``default_flywheel_role`` admin) counts, never a custom role, whatever its
    actions (``project_permissions_manage`` included)."""
    for perm in project.get("permissions", []):
        if perm.get("_id") == uid:
            for rid in perm.get("role_ids", []):
                if world.roles.get(rid, {}).get("default_flywheel_role") == ADMIN_ROLE:
                    return True
    return False


def is_group_admin(group: Doc, uid: str) -> bool:
    """Core's GroupHandler._filter_permissions: a group entry with ``access`` admin."""
    return any(
        p.get("_id") == uid and p.get("access") == ADMIN_ROLE for p in group.get("permissions", [])
    )


def shown_permissions(world: World, uid: str, ctype: str, doc: Doc, *, single: bool) -> list[Doc]:
    """The permission list ``uid`` is shown of a container, as core filters it: "if the
    user is not admin only her permissions are returned".

    Site admins see every entry. A project listing (``_filter_all_permissions``) shows
    anyone else only their own entry; a single project (``_filter_permissions``) shows the
    whole list to its admins (``is_project_admin``). Groups (GroupHandler.get and
    get_all) show the whole list to group admins, listed or single."""
    perms = [json_copy(p) for p in doc.get("permissions", [])]
    if is_root(world, uid):
        return perms
    if ctype == "group" and is_group_admin(doc, uid):
        return perms
    if ctype != "group" and single and is_project_admin(world, uid, doc):
        return perms
    return [p for p in perms if p.get("_id") == uid]


def _ref_viewable(world: World, uid: str, ref: Doc) -> bool:
    """``uid`` may view the container a ``{type, id}`` reference names (missing: no)."""
    ctype = str(ref.get("type") or "")
    doc = world.container_of_type(ctype, str(ref.get("id") or ""))
    return doc is not None and can_view(world, uid, ctype, doc)


def require_read_logs(world: World, uid: str, job: Doc) -> None:
    """Core's JobHandler._log_read_check: a site admin, or read access to the container of
    every input (``check_access(uid, 'ro')``; not the origin rule). Core lets anyone read
    the logs of a job without inputs; no source for that being kept: localfw asks for read
    access to its destination then (the stricter reading)."""
    if is_root(world, uid):
        return
    refs = list(job.get("inputs", {}).values()) or [job.get("destination", {})]
    if not all(_ref_viewable(world, uid, ref) for ref in refs):
        raise HttpError(
            403, f"User {uid} does not have read access to the inputs of job {job['_id']}"
        )


def require_manage_job(world: World, uid: str, job: Doc) -> None:
    """Cancel: root or the job's origin (core's JobHandler.put: a non-admin "can only cancel
    jobs they spawned"), or ``jobs_manage_others`` on its project (the SDK's Action for it)."""
    if is_root(world, uid) or job.get("origin", {}).get("id") == uid:
        return
    if "jobs_manage_others" in actions(world, uid, job.get("parents", {}).get("project")):
        return
    raise HttpError(403, f"User {uid} does not have permission to modify job {job['_id']}")


def require_retry_job(world: World, uid: str, job: Doc) -> None:
    """Core's JobHandler.retry checks ``ro`` on every input's container and ``rw`` on the
    destination; localfw also asks for the cancel right (``require_manage_job``): no
    source, the stricter of the two readings, both at once."""
    require_manage_job(world, uid, job)
    if is_root(world, uid):
        return
    if not all(_ref_viewable(world, uid, ref) for ref in job.get("inputs", {}).values()):
        raise HttpError(403, f"User {uid} does not have read access to the inputs of {job['_id']}")
    dest = job.get("destination", {})
    action = "analyses_create_job" if dest.get("type") == "analysis" else "jobs_manage"
    require_action(world, uid, job.get("parents", {}).get("project"), action, "retry this job")


def require_batch_owner(world: World, uid: str, batch: Doc) -> None:
    """Core's BatchHandler._check_permission: the batch's origin or a site admin."""
    if is_root(world, uid) or batch.get("origin", {}).get("id") == uid:
        return
    raise HttpError(403, f"User {uid} does not have permission to access batch {batch['_id']}")
