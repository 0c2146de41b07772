"""Routes for gears and jobs: list, read, add, cancel, retry, and a user's own jobs."""

from __future__ import annotations

import re
from typing import Any

from localfw import access, launch, render
from localfw.context import Context
from localfw.router import HttpError, Request, Router
from localfw.simulator import ACTIVE
from localfw.world import Doc, iso

JOB_STATES = ("pending", "running", "complete", "failed", "cancelled")


def register(router: Router, ctx: Context) -> None:
    world = ctx.world

    # -- gears ------------------------------------------------------------
    def list_gears(req: Request) -> list[Doc]:
        with world.lock:
            gears = list(world.gears.values())
            if req.query.get("all_versions", "").lower() not in ("true", "1"):
                latest: dict[str, Doc] = {}
                for g in sorted(gears, key=lambda g: (g["created"], g["_id"])):
                    latest[g["gear"]["name"]] = g
                gears = list(latest.values())
            return [render.gear(g) for g in ctx.listing(gears, req)]

    def get_gear(req: Request) -> Doc:
        with world.lock:
            return render.gear(ctx.gear(req.params["id"]))

    # -- jobs -------------------------------------------------------------
    def found_job(req: Request) -> Doc:
        job = world.jobs.get(req.params["id"])
        if job is None:
            raise HttpError(404, f"Job {req.params['id']} not found")
        return job

    def admin_job(req: Request) -> Doc:
        """Core's JobHandler.get and get_config are ``@require_admin``: a site admin only,
        whoever launched the job."""
        access.require_root(world, req.user)
        return found_job(req)

    def list_jobs(req: Request) -> list[Doc]:
        """Core's JobsHandler.get: 'Request requires admin'."""
        access.require_root(world, req.user)
        with world.lock:
            return [render.job_list(j) for j in ctx.listing(list(world.jobs.values()), req)]

    def own_jobs(req: Request) -> Doc:
        """SDK users_api.get_current_user_jobs: 'Return list of jobs created by the current
        user', 'with optional gear name regex' (searched anywhere in the name: no source
        for anchoring, so the reading that matches most). What ``total`` and ``stats``
        count is undocumented; the stricter reading a site could serve: only the page
        served, so the matches are known only by paging to an empty or short page."""
        with world.lock:
            mine = [j for j in world.jobs.values() if j.get("origin", {}).get("id") == req.user]
            gear = req.query.get("gear")
            if gear:
                try:
                    pattern = re.compile(gear)
                except re.error as exc:
                    raise HttpError(400, f"gear is not a valid regex: {exc}") from exc
                mine = [j for j in mine if pattern.search(j["gear_info"]["name"])]
            page = ctx.paged(ctx.filtered(mine, req), req)
            stats = dict.fromkeys(JOB_STATES, 0)
            for j in page:
                stats[j["state"]] = stats.get(j["state"], 0) + 1
            return {
                "total": len(page),
                "jobs": [render.job_single(j) for j in page],
                "stats": stats,
            }

    def get_job(req: Request) -> Doc:
        with world.lock:
            return render.job_single(admin_job(req))

    def job_config(req: Request) -> Doc:
        with world.lock:
            return render.json_copy(admin_job(req)["config"])

    def job_logs(req: Request) -> Doc:
        """Core's JobHandler.get_logs: read access to every input's container."""
        with world.lock:
            job = found_job(req)
            access.require_read_logs(world, req.user, job)
            return {"_id": job["_id"], "logs": list(world.job_logs.get(job["_id"], []))}

    def modify_job(req: Request) -> Doc:
        """Core's JobHandler.put lets a non-admin send only {"state": "cancelled"}; site
        admins may change more there, but no source says what (no source: nothing but
        the cancel is served, to anyone)."""
        with world.lock:
            job = world.jobs.get(req.params["id"])
            if job is None:
                raise HttpError(404, f"Job {req.params['id']} not found")
            access.require_manage_job(world, req.user, job)
            if req.body != {"state": "cancelled"}:
                raise HttpError(400, 'A job can only be changed with {"state": "cancelled"}')
            if job["state"] not in ACTIVE:
                raise HttpError(
                    400, f"Cannot cancel job {job['_id']}: it is already {job['state']}"
                )
            cancel(ctx, job)
            return {"modified": 1}

    def retry_job(req: Request) -> Doc:
        """SDK docstring: 'The job must have a state of 'failed', and must not have already
        been retried. The failed jobs config is copied to a new job.'"""
        with world.lock:
            old = found_job(req)
            access.require_retry_job(world, req.user, old)
            if old["state"] != "failed":
                raise HttpError(400, f"Only failed jobs can be retried; job is {old['state']}")
            if any(j.get("previous_job_id") == old["_id"] for j in world.jobs.values()):
                raise HttpError(400, f"Job {old['_id']} has already been retried")
            new = retry(ctx, old)
            return {"_id": new["_id"]}

    def add_job(req: Request) -> Doc:
        with world.lock:
            job = launch.prepare(ctx, req.body, uid=req.user)
            created = launch.enqueue(ctx, job, origin=ctx.origin(req))
            return {"_id": created["_id"]}

    router.add("GET", "/gears", list_gears)
    router.add("GET", "/gears/{id}", get_gear)
    router.add("GET", "/jobs", list_jobs)
    router.add("POST", "/jobs/add", add_job)
    router.add("GET", "/users/self/jobs", own_jobs)
    router.add("GET", "/jobs/{id}", get_job)
    router.add("GET", "/jobs/{id}/config.json", job_config)
    router.add("GET", "/jobs/{id}/logs", job_logs)
    router.add("PUT", "/jobs/{id}", modify_job)
    router.add("POST", "/jobs/{id}/retry", retry_job)


def cancel(ctx: Context, job: Doc) -> None:
    now = iso(ctx.clock.now())
    job["state"] = "cancelled"
    job["modified"] = now
    job.setdefault("transitions", {})["cancelled"] = now
    ctx.world.job_logs.setdefault(job["_id"], []).append({"fd": 1, "msg": "Job cancelled\n"})


def retry(ctx: Context, old: Doc) -> Doc:
    """Core's Queue.retry: a copy of the job (same origin, tags, config) with attempt + 1;
    the old job gets ``retried``, its analysis and batch point at the new one."""
    world = ctx.world
    gear = world.gears[old["gear_id"]]
    new = world.add_job(
        gear,
        old["destination"],
        inputs=old["inputs"],
        config=old["config"]["config"],
        tags=old["tags"],
        label=old.get("label"),
        origin=dict(old["origin"]),
        now=ctx.clock.now(),
        attempt=int(old.get("attempt") or 1) + 1,
        previous_job_id=old["_id"],
        batch=old.get("batch"),
    )
    new["priority"] = old.get("priority", "medium")
    old["retried"] = new["created"]
    dest = world.analyses.get(old["destination"].get("id", ""))
    if dest is not None and dest.get("job") == old["_id"]:
        dest["job"] = new["_id"]
    batch: Any = world.batches.get(old.get("batch") or "")
    if batch is not None and old["_id"] in batch.get("jobs", []):
        batch["jobs"] = [new["_id"] if j == old["_id"] else j for j in batch["jobs"]]
    ctx.simulator.schedule(new)
    return new
