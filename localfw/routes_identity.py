"""Routes for who is asking: auth status, users, roles, site version and config."""

from __future__ import annotations

from localfw import access, render
from localfw.context import Context
from localfw.router import HttpError, Request, Router
from localfw.world import Doc


def register(router: Router, ctx: Context) -> None:
    world = ctx.world

    def auth_status(req: Request) -> Doc:
        root = access.is_root(world, req.user)
        return {
            "origin": {"type": "user", "id": req.user},
            "user_id": req.user,
            "user_is_admin": root,
            "is_device": False,
            "roles": ["site_admin"] if root else ["user"],
        }

    def version(req: Request) -> Doc:
        return {"_id": "version", "database": 90, "release": "19.0.0", "flywheel_release": "19.0.0"}

    def config(req: Request) -> Doc:
        return {"site": {"id": "local", "name": "fwbot local Flywheel"}, "features": {}}

    def user_doc(uid: str) -> Doc:
        user = world.users.get(uid)
        if user is None:
            raise HttpError(404, f"User {uid} not found")
        return {**user, "id": uid}

    def get_user(req: Request) -> Doc:
        """Strictest reading: a plain user sees others only through project permissions."""
        uid = req.params["id"]
        if uid != req.user and not access.is_root(world, req.user):
            raise HttpError(403, f"User {req.user} may not read user {uid}")
        return user_doc(uid)

    def list_users(req: Request) -> list[Doc]:
        access.require_root(world, req.user)
        with world.lock:
            return [{**u, "id": u["_id"]} for u in ctx.listing(list(world.users.values()), req)]

    def roles(req: Request) -> list[Doc]:
        with world.lock:
            docs = [render.role(world, r) for r in world.roles.values()]
            return ctx.listing(docs, req)

    def get_role(req: Request) -> Doc:
        with world.lock:
            role = world.roles.get(req.params["id"])
            if role is None:
                raise HttpError(404, f"Role {req.params['id']} not found")
            return render.role(world, role)

    router.add("GET", "/auth/status", auth_status)
    router.add("GET", "/version", version)
    router.add("GET", "/config", config)
    router.add("GET", "/users/self", lambda r: user_doc(r.user))
    router.add("GET", "/users", list_users)
    router.add("GET", "/users/{id}", get_user)
    router.add("GET", "/roles", roles)
    router.add("GET", "/roles/{id}", get_role)
