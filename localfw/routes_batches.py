"""Routes for batches, as core's BatchHandler: premade jobs (``POST /batch/jobs``),
classic proposals (``POST /batch``), run, cancel and read.

Premade jobs are queued exactly as given (the SDK's InputJob has no analysis field and
core's batch run only enqueues them): a job whose destination is a session stays on the
session, analysis gear or not. Only classic proposals of analysis gears make analyses.

What a batch shows, as core stores and projects it: the proposal (its premade jobs with
their tags, or a classic proposal's targets) only in the answer to ``POST /batch/jobs``;
``GET /batch`` and ``GET /batch/{id}`` project it away (``{'proposal': 0}``). A premade
batch has no ``gear_id`` nor ``config``, and no batch has ``jobs`` until it has run.
"""

from __future__ import annotations

from typing import Any

from localfw import access, launch, render, validation
from localfw.context import Context
from localfw.router import HttpError, Request, Router
from localfw.routes_jobs import cancel
from localfw.simulator import TERMINAL
from localfw.world import Doc, iso

HIDDEN = ("kind", "proposal")


def register(router: Router, ctx: Context) -> None:
    world = ctx.world

    def body_of(req: Request) -> dict[str, Any]:
        if not isinstance(req.body, dict):
            raise HttpError(400, "Expected a JSON object body")
        return req.body

    def owned_batch(req: Request) -> Doc:
        batch = world.batches.get(req.params["id"])
        if batch is None:
            raise HttpError(404, f"Batch {req.params['id']} not found")
        access.require_batch_owner(world, req.user, batch)
        return batch

    def new_batch(req: Request, extra: Doc, bid: str | None = None) -> Doc:
        """Core's batch.insert: the proposal doc plus ``created`` / ``modified``; ``jobs``
        only once it runs (batch.run sets them)."""
        bid = bid or world.ids.new()
        now = iso(ctx.clock.now())
        batch = {
            "_id": bid,
            "state": "pending",
            "origin": ctx.origin(req),
            **extra,
            "created": now,
            "modified": now,
        }
        world.batches[bid] = batch
        return batch

    def state_of(batch: Doc) -> str:
        """Core's batch.check_state: running until every job ends; then complete if any
        job did not fail, failed if all did."""
        if batch["state"] in ("pending", "cancelled"):
            return str(batch["state"])
        states = [world.jobs[j]["state"] for j in batch.get("jobs", []) if j in world.jobs]
        if any(s not in TERMINAL for s in states):
            return "running"
        return "complete" if any(s != "failed" for s in states) else "failed"

    def shown(batch: Doc) -> Doc:
        out = {k: v for k, v in render.json_copy(batch).items() if k not in HIDDEN}
        out["state"] = state_of(batch)
        return out

    def batch_from_jobs(req: Request) -> Doc:
        """Core's post_with_jobs: every job gets ``batch`` (the new batch's id) and is
        checked as ``POST /jobs/add`` checks it; the answer is the stored document, its
        proposal included (SDK: PremadeJobsBatchProposal), the only time Flywheel shows it."""
        jobs = body_of(req).get("jobs")
        if not isinstance(jobs, list) or not jobs:
            raise HttpError(400, "A batch needs a non-empty list of jobs")
        with world.lock:
            bid = world.ids.new()
            for number, spec in enumerate(jobs):
                try:
                    launch.prepare(ctx, spec, uid=req.user)
                except HttpError as exc:
                    raise HttpError(exc.status, f"Job {number}: {exc.message}") from exc
                spec["batch"] = bid
            batch = new_batch(
                req, {"proposal": {"preconstructed_jobs": jobs}, "kind": "premade"}, bid
            )
            return {k: v for k, v in render.json_copy(batch).items() if k != "kind"}

    def propose_batch(req: Request) -> Doc:
        """A classic proposal. Not implemented: matching inputs to files (core matches them
        from each acquisition's files); a gear with a required file input matches no target
        here, which is less than a real site would match (fwbot never proposes these)."""
        body = body_of(req)
        with world.lock:
            gear = ctx.gear(body.get("gear_id"))
            targets = body.get("targets")
            if not isinstance(targets, list) or not targets:
                raise HttpError(400, "A gear name and list of target containers is required.")
            config = validation.check_config(gear, body.get("config"))
            needs_files = any(
                spec.get("base") == "file" and not spec.get("optional", False)
                for spec in (gear["gear"].get("inputs") or {}).values()
            )
            action = "analyses_create_job" if gear.get("category") == "analysis" else "jobs_manage"
            matched: list[Doc] = []
            not_matched: list[Any] = []
            improper: list[Any] = []
            for t in targets:
                ttype = str(t.get("type")) if isinstance(t, dict) else ""
                doc = world.container_of_type(ttype, str(t.get("id"))) if ttype else None
                if doc is None or needs_files or ttype not in ("session", "acquisition"):
                    not_matched.append(t)
                elif action not in access.actions(world, req.user, access.project_of(ttype, doc)):
                    improper.append(t["id"])
                else:
                    matched.append({"type": ttype, "id": t["id"]})
            answer: Doc = {"matched": matched, "not_matched": not_matched, "ambiguous": []}
            answer["improper_permissions"] = improper
            if not matched:
                return answer
            batch = new_batch(
                req,
                {
                    "gear_id": gear["_id"],
                    "config": config,
                    "proposal": {
                        "jobs": [{"destination": m} for m in matched],
                        "analysis": body.get("analysis") or {},
                        "tags": list(body.get("tags") or []),
                    },
                    "kind": "classic",
                    "optional_input_policy": body.get("optional_input_policy", "ignored"),
                },
            )
            return {**shown(batch), **answer}

    def run_premade(batch: Doc) -> list[Doc]:
        prepared = [
            launch.prepare(ctx, spec, uid=None) for spec in batch["proposal"]["preconstructed_jobs"]
        ]
        return [
            launch.enqueue(ctx, job, origin=batch["origin"], batch=batch["_id"]) for job in prepared
        ]

    def run_classic(batch: Doc) -> list[Doc]:
        """Core's batch.run: tags get ``batch``; an analysis gear gets an analysis per
        session (an acquisition target's session)."""
        proposal = batch["proposal"]
        gear = world.gears[batch["gear_id"]]
        tags = [*proposal["tags"], "batch"]
        base = {"gear_id": gear["_id"], "config": batch["config"], "tags": tags, "inputs": {}}
        created = []
        for spec in proposal["jobs"]:
            dest = spec["destination"]
            if gear.get("category") == "analysis":
                sid = dest["id"]
                if dest["type"] == "acquisition":
                    sid = world.acquisitions[dest["id"]]["session"]
                label = proposal["analysis"].get("label") or (
                    f"{gear['gear']['name']} {ctx.clock.now():%Y-%m-%d %H:%M:%S}"
                )
                _, job = launch.analysis_with_job(
                    ctx,
                    ("session", world.sessions[sid]),
                    label,
                    dict(base),
                    uid=None,
                    origin=batch["origin"],
                    batch=batch["_id"],
                )
            else:
                job = launch.enqueue(
                    ctx,
                    launch.prepare(ctx, {**base, "destination": dest}, uid=None),
                    origin=batch["origin"],
                    batch=batch["_id"],
                )
            created.append(job)
        return created

    def run_batch(req: Request) -> list[Doc]:
        """SDK docstring: 'Creates jobs from proposed inputs, returns jobs enqueued. Moves
        'pending' batch job to 'running'.'"""
        with world.lock:
            batch = owned_batch(req)
            if batch["state"] != "pending":
                raise HttpError(400, "Can only run pending batch jobs.")
            created = run_premade(batch) if batch["kind"] == "premade" else run_classic(batch)
            batch["jobs"] = [j["_id"] for j in created]
            batch["state"] = "running"
            batch["modified"] = iso(ctx.clock.now())
            return [render.job_single(j) for j in created]

    def get_batch(req: Request) -> Doc:
        with world.lock:
            return shown(owned_batch(req))

    def list_batches(req: Request) -> list[Doc]:
        """SDK docstring: 'Get a list of batch jobs the user has created.'"""
        with world.lock:
            docs = list(world.batches.values())
            if not access.is_root(world, req.user):
                docs = [b for b in docs if b["origin"].get("id") == req.user]
            return [shown(b) for b in ctx.listing(docs, req, sdk_pages=False)]  # no SDK paging

    def cancel_batch(req: Request) -> Doc:
        """SDK docstring: 'Cancels jobs that are still pending, returns number of jobs
        cancelled. Moves a 'running' batch job to 'cancelled'.'"""
        with world.lock:
            batch = owned_batch(req)
            if state_of(batch) != "running":
                raise HttpError(400, "Can only cancel started batch jobs.")
            n = 0
            for jid in batch.get("jobs", []):
                job = world.jobs.get(jid)
                if job is not None and job["state"] == "pending":
                    cancel(ctx, job)
                    n += 1
            batch["state"] = "cancelled"
            batch["modified"] = iso(ctx.clock.now())
            return {"number_cancelled": n}

    router.add("POST", "/batch/jobs", batch_from_jobs)
    router.add("GET", "/batch", list_batches)
    router.add("POST", "/batch", propose_batch)
    router.add("GET", "/batch/{id}", get_batch)
    router.add("POST", "/batch/{id}/run", run_batch)
    router.add("POST", "/batch/{id}/cancel", cancel_batch)
