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
        """Core's UserHandler.get serves any logged-in user; the stricter reading a site
        could serve (no source for it): yourself or a site admin, else 403."""
        uid = req.params["id"]
        if uid != req.user and not access.is_root(world, req.user):
            raise HttpError(403, f"User {req.user} may not read user {uid}")
        return user_doc(uid)

    def list_users(req: Request) -> list[Doc]:
        """Core's UserHandler.get_all: ``userauth.list_permission_checker`` refuses only
        anonymous requests; filtered and paged (SDK get_all_users: filter, limit, after_id)."""
        with world.lock:
            return [{**u, "id": u["_id"]} for u in ctx.listing(list(world.users.values()), req)]

    def require_roles_readable(req: Request) -> None:
        """Nothing documents who may read roles; any logged-in user may unless the site's
        ``roles_readable`` knob is off (then site admins only)."""
        if not ctx.roles_readable:
            access.require_root(world, req.user)

    def roles(req: Request) -> list[Doc]:
        require_roles_readable(req)
        with world.lock:
            docs = [render.role(world, r) for r in world.roles.values()]
            return ctx.listing(docs, req)

    def get_role(req: Request) -> Doc:
        require_roles_readable(req)
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
