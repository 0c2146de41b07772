"""Routes for identity, roles and the container hierarchy (projects ... analyses)."""

from __future__ import annotations

from typing import Any

from bot.localfw import render
from bot.localfw.context import Context
from bot.localfw.router import HttpError, Request, Router
from bot.localfw.world import ROLE_IDS, Doc

COLLECTIONS = ("projects", "subjects", "sessions", "acquisitions", "analyses")
ROLE_SHORT = {"read-only": "ro", "read-write": "rw", "admin": "admin"}
# child listings: (parent collection, child collection, parent key in child's parents)
CHILDREN = (
    ("projects", "subjects", "project"),
    ("projects", "sessions", "project"),
    ("projects", "acquisitions", "project"),
    ("subjects", "sessions", "subject"),
    ("sessions", "acquisitions", "session"),
)


def register(router: Router, ctx: Context) -> None:
    world = ctx.world

    def coll(name: str) -> dict[str, Doc]:
        found: dict[str, Doc] = getattr(world, name)
        return found

    def auth_status(req: Request) -> Doc:
        user = world.users.get(req.user, {})
        return {
            "origin": {"type": "user", "id": req.user},
            "user_id": req.user,
            "user_is_admin": bool(user.get("root", False)),
            "is_device": False,
            "roles": ["site_admin"] if user.get("root") else ["user"],
        }

    def version(req: Request) -> Doc:
        return {"_id": "version", "database": 90, "release": "19.0.0", "flywheel_release": "19.0.0"}

    def config(req: Request) -> Doc:
        return {"site": {"id": "local", "name": "fwbot local Flywheel"}, "features": {}}

    def user_self(req: Request) -> Doc:
        return get_user_doc(req.user)

    def get_user_doc(uid: str) -> Doc:
        user = world.users.get(uid)
        if user is None:
            raise HttpError(404, f"User {uid} not found")
        return {**user, "id": uid}

    def roles(req: Request) -> list[Doc]:
        return [role_doc(label) for label in ROLE_IDS]

    def role_doc(label: str) -> Doc:
        rid = ROLE_IDS[label]
        return {
            "_id": rid,
            "id": rid,
            "label": label,
            "default_flywheel_role": ROLE_SHORT[label],
            "actions": [],
            "in_use": True,
        }

    def get_role(req: Request) -> Doc:
        for label, rid in ROLE_IDS.items():
            if rid == req.params["id"]:
                return role_doc(label)
        raise HttpError(404, f"Role {req.params['id']} not found")

    def groups(req: Request) -> list[Doc]:
        with world.lock:
            return ctx.listing(list(world.groups.values()), req)

    def get_group(req: Request) -> Doc:
        group = world.groups.get(req.params["id"])
        if group is None:
            raise HttpError(404, f"Group {req.params['id']} not found")
        return {**group, "container_type": "group"}

    def one(name: str, cid: str) -> Doc:
        doc = coll(name).get(cid)
        if doc is None:
            raise HttpError(404, f"{name[:-1].capitalize()} {cid} not found")
        return doc

    def lister(name: str) -> Any:
        def handler(req: Request) -> list[Doc]:
            with world.lock:
                docs = ctx.listing(list(coll(name).values()), req)
                return [render.container(world, d, single=False) for d in docs]

        return handler

    def getter(name: str) -> Any:
        def handler(req: Request) -> Doc:
            with world.lock:
                return render.container(world, one(name, req.params["id"]), single=True)

        return handler

    def children(parent: str, child: str, key: str) -> Any:
        def handler(req: Request) -> list[Doc]:
            pid = req.params["id"]
            with world.lock:
                one(parent, pid)
                docs = [d for d in coll(child).values() if d["parents"].get(key) == pid]
                docs = ctx.listing(docs, req)
                return [render.container(world, d, single=False) for d in docs]

        return handler

    def get_container(req: Request) -> Doc:
        with world.lock:
            found = world.container(req.params["id"])
            if found is None:
                raise HttpError(404, f"Container {req.params['id']} not found")
            ctype, doc = found
            if ctype == "group":
                return {**doc, "container_type": "group"}
            return render.container(world, doc, single=True)

    def list_analyses(req: Request) -> list[Doc]:
        inflate = req.query.get("inflate_job", "").lower() in ("true", "1")
        with world.lock:
            if world.container(req.params["cid"]) is None:
                raise HttpError(404, f"Container {req.params['cid']} not found")
            docs = [world.analyses[a] for a in world.analysis_index.get(req.params["cid"], [])]
            docs = ctx.listing(docs, req)
            return [render.analysis(world, d, inflate_job=inflate) for d in docs]

    def get_child_analysis(req: Request) -> Doc:
        with world.lock:
            doc = world.analyses.get(req.params["aid"])
            if doc is None or doc["parent"]["id"] != req.params["cid"]:
                raise HttpError(404, f"Analysis {req.params['aid']} not found")
            return render.analysis(world, doc, inflate_job=True)

    def add_analysis(req: Request) -> Doc:
        body = req.body if isinstance(req.body, dict) else {}
        with world.lock:
            found = world.container(req.params["cid"])
            if found is None:
                raise HttpError(404, f"Container {req.params['cid']} not found")
            label = body.get("label")
            if not label:
                raise HttpError(400, "An analysis needs a label")
            job_spec = body.get("job")
            if req.query.get("job", "").lower() in ("true", "1") or job_spec:
                if not isinstance(job_spec, dict):
                    raise HttpError(400, "job=true needs a job in the body")
                gear = ctx.gear(job_spec.get("gear_id"))
                if gear.get("category") != "analysis":
                    raise HttpError(400, f"Gear {gear['gear']['name']} is not an analysis gear")
                job = ctx.launch(
                    req,
                    gear,
                    {"type": found[0], "id": found[1]["_id"]},
                    inputs=job_spec.get("inputs"),
                    config=job_spec.get("config"),
                    tags=job_spec.get("tags"),
                    label=label,
                )
                return {"_id": job["destination"]["id"]}
            doc, _ = world.add_analysis(found[1], label, now=ctx.clock.now())
            return {"_id": doc["_id"]}

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
                        return {**render.container(world, p, single=True), "node_type": "project"}
            elif len(path) == 1 and path[0] in world.groups:
                return {**world.groups[path[0]], "container_type": "group"}
        raise HttpError(404, f"Cannot find {'/'.join(path)}")

    router.add("GET", "/auth/status", auth_status)
    router.add("GET", "/version", version)
    router.add("GET", "/config", config)
    router.add("GET", "/users/self", user_self)
    router.add("GET", "/users/{id}", lambda r: get_user_doc(r.params["id"]))
    router.add("GET", "/roles", roles)
    router.add("GET", "/roles/{id}", get_role)
    router.add("GET", "/groups", groups)
    router.add("GET", "/groups/{id}", get_group)
    router.add("POST", "/lookup", lookup)
    router.add("GET", "/containers/{id}", get_container)
    for parent, child, key in CHILDREN:
        router.add("GET", f"/{parent}/{{id}}/{child}", children(parent, child, key))
    for name in COLLECTIONS:
        router.add("GET", f"/{name}", lister(name))
        router.add("GET", f"/{name}/{{id}}", getter(name))
    for name in ("projects", "subjects", "sessions", "acquisitions", "containers"):
        router.add("GET", f"/{name}/{{cid}}/analyses", list_analyses)
        router.add("GET", f"/{name}/{{cid}}/analyses/{{aid}}", get_child_analysis)
        router.add("POST", f"/{name}/{{cid}}/analyses", add_analysis)
