"""Routes for gears, jobs and batches: everything that launches or watches work."""

from __future__ import annotations

from typing import Any

from bot.localfw import render
from bot.localfw.context import Context
from bot.localfw.router import HttpError, Request, Router
from bot.localfw.simulator import ACTIVE, TERMINAL
from bot.localfw.world import Doc, iso


def register(router: Router, ctx: Context) -> None:
    world = ctx.world

    def body_of(req: Request) -> dict[str, Any]:
        if not isinstance(req.body, dict):
            raise HttpError(400, "Expected a JSON object body")
        return req.body

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
    def job_of(jid: str) -> Doc:
        job = world.jobs.get(jid)
        if job is None:
            raise HttpError(404, f"Job {jid} not found")
        return job

    def list_jobs(req: Request) -> list[Doc]:
        with world.lock:
            return [render.job_list(j) for j in ctx.listing(list(world.jobs.values()), req)]

    def get_job(req: Request) -> Doc:
        with world.lock:
            return render.job_single(job_of(req.params["id"]))

    def job_config(req: Request) -> Doc:
        with world.lock:
            return dict(job_of(req.params["id"])["config"])

    def job_logs(req: Request) -> Doc:
        with world.lock:
            job_of(req.params["id"])
            return {"_id": req.params["id"], "logs": list(world.job_logs.get(req.params["id"], []))}

    def modify_job(req: Request) -> Doc:
        body = body_of(req)
        with world.lock:
            job = job_of(req.params["id"])
            state = body.get("state")
            if state is not None:
                if state != "cancelled":
                    raise HttpError(400, f"Cannot set job state to {state!r}; only 'cancelled'")
                if job["state"] not in ACTIVE:
                    raise HttpError(
                        400, f"Cannot cancel job {job['_id']}: it is already {job['state']}"
                    )
                cancel(job)
            for key in ("tags", "label", "priority"):
                if key in body:
                    job[key] = body[key]
            return {"modified": 1}

    def cancel(job: Doc) -> None:
        now = iso(ctx.clock.now())
        job["state"] = "cancelled"
        job["modified"] = now
        job.setdefault("transitions", {})["cancelled"] = now
        world.job_logs.setdefault(job["_id"], []).append({"fd": 1, "msg": "Job cancelled\n"})

    def retry_job(req: Request) -> Doc:
        with world.lock:
            old = job_of(req.params["id"])
            if old["state"] != "failed":
                raise HttpError(400, f"Only failed jobs can be retried; job is {old['state']}")
            if any(j.get("previous_job_id") == old["_id"] for j in world.jobs.values()):
                raise HttpError(400, f"Job {old['_id']} has already been retried")
            new = world.add_job(
                ctx.gear(old["gear_id"]),
                old["destination"],
                inputs=old["inputs"],
                config=old["config"]["config"],
                tags=old["tags"],
                label=old.get("label"),
                origin={"type": "user", "id": req.user},
                now=ctx.clock.now(),
                attempt=int(old.get("attempt") or 1) + 1,
                previous_job_id=old["_id"],
                batch=old.get("batch"),
            )
            new["retried"] = new["created"]
            dest = world.analyses.get(old["destination"].get("id", ""))
            if dest is not None and dest.get("job") == old["_id"]:
                dest["job"] = new["_id"]
            ctx.simulator.schedule(new)
            return {"_id": new["_id"]}

    def add_job(req: Request) -> Doc:
        body = body_of(req)
        with world.lock:
            gear = ctx.gear(body.get("gear_id"))
            dest = body.get("destination") or {}
            job = ctx.launch(
                req,
                gear,
                dest,
                inputs=body.get("inputs"),
                config=body.get("config"),
                tags=body.get("tags"),
                label=body.get("label"),
            )
            return {"_id": job["_id"]}

    # -- batches ----------------------------------------------------------
    def batch_of(bid: str) -> Doc:
        batch = world.batches.get(bid)
        if batch is None:
            raise HttpError(404, f"Batch {bid} not found")
        return batch

    def new_batch(req: Request, gear_id: str | None, config: Doc, extra: Doc) -> Doc:
        bid = world.ids.new()
        now = iso(ctx.clock.now())
        batch = {
            "_id": bid,
            "gear_id": gear_id,
            "state": "pending",
            "origin": ctx.origin(req),
            "config": config,
            "jobs": [],
            "created": now,
            "modified": now,
            **extra,
        }
        world.batches[bid] = batch
        return batch

    def batch_from_jobs(req: Request) -> Doc:
        jobs = body_of(req).get("jobs")
        if not isinstance(jobs, list) or not jobs:
            raise HttpError(400, "A batch needs a non-empty list of jobs")
        with world.lock:
            for spec in jobs:
                if not isinstance(spec, dict) or not spec.get("destination"):
                    raise HttpError(400, "Every batch job needs a gear_id and a destination")
                gear = ctx.gear(spec.get("gear_id"))
                ctx.check_inputs(gear, spec.get("inputs") or {})
                if world.container(str(spec["destination"].get("id"))) is None:
                    raise HttpError(404, f"Destination {spec['destination'].get('id')} not found")
            batch = new_batch(
                req,
                jobs[0].get("gear_id"),
                {},
                {"proposal": {"preconstructed_jobs": jobs}, "kind": "premade"},
            )
            return {k: v for k, v in batch.items() if k not in ("kind", "gear_id", "config")}

    def propose_batch(req: Request) -> Doc:
        body = body_of(req)
        with world.lock:
            gear = ctx.gear(body.get("gear_id"))
            targets = body.get("targets") or []
            matched = [t for t in targets if world.container(str(t.get("id"))) is not None]
            not_matched = [t for t in targets if t not in matched]
            label = (body.get("analysis") or {}).get("label")
            jobs = [
                {
                    "gear_id": gear["_id"],
                    "destination": t,
                    "config": body.get("config") or {},
                    "tags": body.get("tags") or [],
                    "label": label,
                    "inputs": {},
                }
                for t in matched
            ]
            batch = new_batch(
                req,
                gear["_id"],
                body.get("config") or {},
                {
                    "proposal": {"preconstructed_jobs": jobs},
                    "kind": "classic",
                    "optional_input_policy": body.get("optional_input_policy", "ignored"),
                },
            )
            return {
                **{k: v for k, v in batch.items() if k not in ("kind", "proposal")},
                "matched": matched,
                "not_matched": not_matched,
                "ambiguous": [],
                "improper_permissions": [],
            }

    def run_batch(req: Request) -> list[Doc]:
        with world.lock:
            batch = batch_of(req.params["id"])
            if batch["state"] != "pending":
                raise HttpError(400, f"Batch {batch['_id']} has already been {batch['state']}")
            created = []
            for spec in batch["proposal"]["preconstructed_jobs"]:
                job = ctx.launch(
                    req,
                    ctx.gear(spec.get("gear_id")),
                    spec["destination"],
                    inputs=spec.get("inputs"),
                    config=spec.get("config"),
                    tags=spec.get("tags"),
                    label=spec.get("label"),
                    batch=batch["_id"],
                )
                created.append(job)
            batch["jobs"] = [j["_id"] for j in created]
            batch["state"] = "running"
            batch["modified"] = iso(ctx.clock.now())
            return [render.job_single(j) for j in created]

    def batch_state(batch: Doc) -> str:
        if batch["state"] in ("pending", "cancelled"):
            return str(batch["state"])
        states = [world.jobs[j]["state"] for j in batch["jobs"] if j in world.jobs]
        if any(s not in TERMINAL for s in states):
            return "running"
        return "failed" if "failed" in states else "complete"

    def get_batch(req: Request) -> Doc:
        with world.lock:
            batch = batch_of(req.params["id"])
            out = {k: v for k, v in batch.items() if k not in ("kind", "proposal")}
            out["state"] = batch_state(batch)
            return out

    def list_batches(req: Request) -> list[Doc]:
        with world.lock:
            docs = ctx.listing(list(world.batches.values()), req)
            return [
                {
                    **{k: v for k, v in b.items() if k not in ("kind", "proposal")},
                    "state": batch_state(b),
                }
                for b in docs
            ]

    def cancel_batch(req: Request) -> Doc:
        with world.lock:
            batch = batch_of(req.params["id"])
            n = 0
            for jid in batch["jobs"]:
                job = world.jobs.get(jid)
                if job is not None and job["state"] == "pending":
                    cancel(job)
                    n += 1
            batch["state"] = "cancelled"
            batch["modified"] = iso(ctx.clock.now())
            return {"number_cancelled": n}

    router.add("GET", "/gears", list_gears)
    router.add("GET", "/gears/{id}", get_gear)
    router.add("GET", "/jobs", list_jobs)
    router.add("POST", "/jobs/add", add_job)
    router.add("GET", "/jobs/{id}", get_job)
    router.add("GET", "/jobs/{id}/config.json", job_config)
    router.add("GET", "/jobs/{id}/logs", job_logs)
    router.add("PUT", "/jobs/{id}", modify_job)
    router.add("POST", "/jobs/{id}/retry", retry_job)
    router.add("POST", "/batch/jobs", batch_from_jobs)
    router.add("GET", "/batch", list_batches)
    router.add("POST", "/batch", propose_batch)
    router.add("GET", "/batch/{id}", get_batch)
    router.add("POST", "/batch/{id}/run", run_batch)
    router.add("POST", "/batch/{id}/cancel", cancel_batch)
