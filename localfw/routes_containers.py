"""Routes for the container hierarchy: groups, projects ... acquisitions, lookup.

A plain user sees only containers of projects where a role lets them view: lists leave
the others out, and asking for one by id is a 403 (a 404 only when it does not exist).
Permission lists are filtered as core filters them (``access.shown_permissions``) unless
the site's ``filter_permissions`` knob is off.
"""

from __future__ import annotations

from typing import Any

from localfw import access, render
from localfw.context import Context
from localfw.router import HttpError, Request, Router
from localfw.world import Doc

COLLECTIONS = ("projects", "subjects", "sessions", "acquisitions", "analyses")
# child listings: (parent collection, child collection, parent key in child's parents)
CHILDREN = (
    ("projects", "subjects", "project"),
    ("projects", "sessions", "project"),
    ("projects", "acquisitions", "project"),
    ("subjects", "sessions", "subject"),
    ("sessions", "acquisitions", "session"),
)


def singular(collection: str) -> str:
    return "analysis" if collection == "analyses" else collection[:-1]


def register(router: Router, ctx: Context) -> None:
    world = ctx.world

    def coll(name: str) -> dict[str, Doc]:
        found: dict[str, Doc] = getattr(world, name)
        return found

    def check_exhaustive(req: Request) -> None:
        """``exhaustive``: "a complete list regardless of permissions" is for site admins."""
        if req.query.get("exhaustive", "").lower() in ("true", "1"):
            access.require_root(world, req.user)

    def with_perms(out: Doc, ctype: str, req: Request, *, single: bool) -> Doc:
        """``out`` (a rendered copy) with the permission list ``req.user`` is shown."""
        if ctx.filter_permissions and "permissions" in out:
            out["permissions"] = access.shown_permissions(
                world, req.user, ctype, out, single=single
            )
        return out

    def group_out(group: Doc, req: Request, *, single: bool) -> Doc:
        return with_perms({**group, "container_type": "group"}, "group", req, single=single)

    def rendered(ctype: str, doc: Doc, req: Request, *, single: bool) -> Doc:
        return with_perms(render.container(world, doc, single=single), ctype, req, single=single)

    def visible(docs: list[Doc], ctype: str, req: Request) -> list[Doc]:
        allowed = access.viewable_projects(world, req.user)
        if allowed is None:
            return docs
        return [d for d in docs if access.project_of(ctype, d) in allowed]

    def groups(req: Request) -> list[Doc]:
        check_exhaustive(req)
        with world.lock:
            docs = [
                g for g in world.groups.values() if access.can_view(world, req.user, "group", g)
            ]
            return [group_out(g, req, single=False) for g in ctx.listing(docs, req)]

    def get_group(req: Request) -> Doc:
        with world.lock:
            group = world.groups.get(req.params["id"])
            if group is None:
                raise HttpError(404, f"Group {req.params['id']} not found")
            access.require_view(world, req.user, "group", group)
            return group_out(group, req, single=True)

    def one(name: str, cid: str, req: Request) -> Doc:
        doc = coll(name).get(cid)
        if doc is None:
            raise HttpError(404, f"{singular(name).capitalize()} {cid} not found")
        access.require_view(world, req.user, singular(name), doc)
        return doc

    def lister(name: str) -> Any:
        def handler(req: Request) -> list[Doc]:
            check_exhaustive(req)
            with world.lock:
                docs = visible(list(coll(name).values()), singular(name), req)
                return [
                    rendered(singular(name), d, req, single=False) for d in ctx.listing(docs, req)
                ]

        return handler

    def getter(name: str) -> Any:
        def handler(req: Request) -> Doc:
            with world.lock:
                return rendered(singular(name), one(name, req.params["id"], req), req, single=True)

        return handler

    def children(parent: str, child: str, key: str) -> Any:
        def handler(req: Request) -> list[Doc]:
            pid = req.params["id"]
            with world.lock:
                one(parent, pid, req)
                docs = [d for d in coll(child).values() if d["parents"].get(key) == pid]
                docs = ctx.listing(docs, req)
                return [rendered(singular(child), d, req, single=False) for d in docs]

        return handler

    def get_container(req: Request) -> Doc:
        with world.lock:
            found = world.container(req.params["id"])
            if found is None:
                raise HttpError(404, f"Container {req.params['id']} not found")
            ctype, doc = found
            access.require_view(world, req.user, ctype, doc)
            if ctype == "group":
                return group_out(doc, req, single=True)
            return rendered(ctype, doc, req, single=True)

    def lookup(req: Request) -> Doc:
        body = req.body if isinstance(req.body, dict) else {}
        path = [p for p in body.get("path", []) if p]
        with world.lock:
            if len(path) in (2, 3) and path[0] == "gears":
                versions = [g for g in world.gears.values() if g["gear"]["name"] == path[1]]
                if len(path) == 3:
                    versions = [g for g in versions if g["gear"].get("version") == path[2]]
                if versions:
                    gear = max(versions, key=lambda g: (g["created"], g["_id"]))
                    return {**render.gear(gear), "container_type": "gear", "node_type": "gear"}
            elif len(path) == 2:
                for p in world.projects.values():
                    if p["group"] == path[0] and p["label"] == path[1]:
                        access.require_view(world, req.user, "project", p)
                        return {**rendered("project", p, req, single=True), "node_type": "project"}
            elif len(path) == 1 and path[0] in world.groups:
                group = world.groups[path[0]]
                access.require_view(world, req.user, "group", group)
                return group_out(group, req, single=True)
        raise HttpError(404, f"Cannot find {'/'.join(path)}")

    router.add("GET", "/groups", groups)
    router.add("GET", "/groups/{id}", get_group)
    router.add("POST", "/lookup", lookup)
    router.add("GET", "/containers/{id}", get_container)
    for parent, child, key in CHILDREN:
        router.add("GET", f"/{parent}/{{id}}/{child}", children(parent, child, key))
    for name in COLLECTIONS:
        router.add("GET", f"/{name}", lister(name))
        router.add("GET", f"/{name}/{{id}}", getter(name))
