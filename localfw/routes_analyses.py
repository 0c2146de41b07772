"""Routes for analyses: list, get and create them under a container, and the nested
``/{container}/{id}/{subcontainer}/analyses`` listing.

``POST .../analyses?job=true`` with a job is the one way a gear run makes an analysis
(what ``gear.run(analysis_label=..., destination=...)`` sends): the analysis is created
with its job, whose destination is the analysis.
"""

from __future__ import annotations

from typing import Any

from localfw import access, launch, render
from localfw.context import Context
from localfw.router import HttpError, Request, Router
from localfw.world import Doc

PARENTS = ("projects", "subjects", "sessions", "acquisitions", "containers")
LEVELS = ("project", "subject", "session", "acquisition")
NESTED_CONTAINERS = ("projects", "subjects", "sessions")
NESTED_SUBCONTAINERS = ("subjects", "sessions", "acquisitions", "all")


def register(router: Router, ctx: Context) -> None:
    world = ctx.world

    def parent_of(req: Request, cid: str) -> tuple[str, Doc]:
        """The container analyses hang under; 404 if missing, 403 if not viewable."""
        found = world.container(cid)
        if found is None or found[0] == "group":
            raise HttpError(404, f"Container {cid} not found")
        access.require_view(world, req.user, *found)
        return found

    def require_analyses_view(req: Request, ctype: str, doc: Doc) -> None:
        access.require_action(
            world,
            req.user,
            access.project_of(ctype, doc),
            "analyses_view_metadata",
            "view analyses",
        )

    def list_analyses(req: Request) -> list[Doc]:
        inflate = req.query.get("inflate_job", "").lower() in ("true", "1")
        with world.lock:
            ctype, doc = parent_of(req, req.params["cid"])
            require_analyses_view(req, ctype, doc)
            docs = [world.analyses[a] for a in world.analysis_index.get(doc["_id"], [])]
            return [render.analysis(world, d, inflate_job=inflate) for d in ctx.listing(docs, req)]

    def get_child_analysis(req: Request) -> Doc:
        with world.lock:
            ctype, parent = parent_of(req, req.params["cid"])
            doc = world.analyses.get(req.params["aid"])
            if doc is None or doc["parent"]["id"] != parent["_id"]:
                raise HttpError(404, f"Analysis {req.params['aid']} not found")
            require_analyses_view(req, ctype, parent)
            return render.analysis(world, doc, inflate_job=True)

    def add_analysis(req: Request) -> Doc:
        """SDK docstring: 'When query param "job" is "true", send JSON to create an analysis
        and job. Otherwise, multipart/form-data to upload files and create an analysis.'"""
        with_job = req.query.get("job", "").lower() in ("true", "1")
        with world.lock:
            ptype, parent = parent_of(req, req.params["cid"])
            body = req.body
            if not isinstance(body, dict):
                raise HttpError(400, "An analysis must be a JSON object")
            if not with_job:
                if "job" in body:
                    raise HttpError(400, "An analysis with a job needs the query param job=true")
                raise HttpError(400, "Without job=true an analysis is a multipart file upload")
            label = body.get("label")
            if not isinstance(label, str) or not label:
                raise HttpError(400, "An analysis needs a label")
            if body.get("job") is None:
                # AdhocAnalysisInput: the SDK sends job=true for it too
                access.require_action(
                    world,
                    req.user,
                    access.project_of(ptype, parent),
                    "analyses_create_sdk",
                    "create analyses",
                )
                doc, _ = world.add_analysis(parent, label, now=ctx.clock.now())
                return {"_id": doc["_id"]}
            analysis, _ = launch.analysis_with_job(
                ctx, (ptype, parent), label, body["job"], uid=req.user, origin=ctx.origin(req)
            )
            return {"_id": analysis["_id"]}

    def nested(cname: str, sub: str) -> Any:
        """SDK analyses_api.get_analyses: 'Returns analyses that belong to containers of the
        specified type that belong to ContainerId ... The `all` keyword is also supported'.

        As core's ``AnalysesHandler.get_all`` serves it: filtered and paged like every list
        (``pagination=self.pagination``: filter, sort, limit, after_id; the SDK's
        get_analyses sends none of them, so without ``limit`` it is everything), and with
        ``inflate_job=true`` each analysis carries its job, less ``produced_metadata``
        (``inflate_job_info(analysis, remove_phi=True)``)."""
        level = cname[:-1]
        sub_level = None if sub == "all" else sub[:-1]

        def handler(req: Request) -> list[Doc]:
            cid = req.params["cid"]
            inflate = req.query.get("inflate_job", "").lower() in ("true", "1")
            with world.lock:
                doc = world.container_of_type(level, cid)
                if doc is None:
                    raise HttpError(404, f"{level.capitalize()} {cid} not found")
                access.require_view(world, req.user, level, doc)
                require_analyses_view(req, level, doc)
                if sub_level is not None and LEVELS.index(sub_level) <= LEVELS.index(level):
                    # core's AnalysesHandler.get_all: "{} not a child of {} or 'all'." (400)
                    raise HttpError(400, f"{sub} not a child of {cname} or 'all'.")
                found = [
                    a
                    for a in world.analyses.values()
                    if a["parents"].get(level) == cid
                    and (sub_level is None or a["parent"]["type"] == sub_level)
                ]
                found.sort(key=lambda a: str(a["_id"]))
                page = ctx.listing(found, req, sdk_pages=False)  # get_analyses sends no limit
                out = [render.analysis(world, a, inflate_job=inflate) for a in page]
                if inflate:
                    for doc in out:
                        if isinstance(doc.get("job"), dict):
                            doc["job"].pop("produced_metadata", None)
                return out

        return handler

    for name in PARENTS:
        router.add("GET", f"/{name}/{{cid}}/analyses", list_analyses)
        router.add("GET", f"/{name}/{{cid}}/analyses/{{aid}}", get_child_analysis)
        router.add("POST", f"/{name}/{{cid}}/analyses", add_analysis)
    for cname in NESTED_CONTAINERS:
        for sub in NESTED_SUBCONTAINERS:
            router.add("GET", f"/{cname}/{{cid}}/{sub}/analyses", nested(cname, sub))
