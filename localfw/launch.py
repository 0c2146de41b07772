"""Creating jobs as core does: ``Queue.enqueue_job`` and ``AnalysisStorage.create_el``.

Every way of starting work goes through ``prepare`` (validate a job body, check the
caller may run it) and then ``enqueue`` (a job on the given destination, exactly as
asked) or ``analysis_with_job`` (a new analysis whose job writes into it). Only the
analyses endpoint with ``job=true`` and classic batch proposals of analysis gears create
analyses; a premade job is queued on the container it names, whatever the gear.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from localfw import access, validation
from localfw.context import Context
from localfw.router import HttpError
from localfw.world import Doc

PRIORITIES = ("low", "medium", "high", "critical")


@dataclass
class Prepared:
    """A validated job body; ``destination`` is None for an analysis still to be made."""

    gear: Doc
    destination: Doc | None
    inputs: dict[str, Doc]
    config: dict[str, Any]
    tags: list[str]
    label: str
    priority: str


def prepare(
    ctx: Context,
    body: Any,
    *,
    uid: str | None,
    analysis_parent: tuple[str, Doc] | None = None,
) -> Prepared:
    """Validate a job body in core's order (gear, config, inputs, destination, access,
    input files). ``uid`` None skips access checks, as core does for superuser requests
    and for batch runs (their jobs were checked when the batch was made)."""
    world = ctx.world
    if not isinstance(body, dict):
        raise HttpError(400, "A job must be a JSON object")
    gear = ctx.gear(body.get("gear_id"))
    config = validation.check_config(gear, body.get("config"))
    refs = validation.check_input_refs(gear, body.get("inputs"))
    tags = body.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise HttpError(400, "Job tags must be a list of strings")
    priority = body.get("priority") or "medium"
    if priority not in PRIORITIES:
        raise HttpError(400, f"Job priority must be one of {list(PRIORITIES)}")
    if uid is not None and access.is_root(world, uid):
        uid = None
    dest: Doc | None
    if analysis_parent is None:
        ref = body.get("destination")
        if ref is None:
            ref = _inferred_destination(refs)
        dtype, doc = validation.destination(world, ref)
        dest = {"type": dtype, "id": doc["_id"]}
        project = access.project_of(dtype, doc)
        action = "analyses_create_job" if dtype == "analysis" else "jobs_manage"
    else:
        dest = None
        project = access.project_of(*analysis_parent)
        action = "analyses_create_job"
    if uid is not None:
        access.require_action(world, uid, project, action, "run gears here")
    for key, ref in refs.items():
        container = validation.input_container(world, key, ref)
        if uid is not None:
            # core's check_access(uid, 'ro') on inputs; no source for the action 'ro' is
            # now: a gear reads the file, so the role must allow downloading it (stricter)
            access.require_action(
                world,
                uid,
                access.project_of(ref["type"], container),
                "files_download",
                f"use input {key!r}",
            )
        validation.input_file(key, ref, container)
    return Prepared(gear, dest, refs, config, list(tags), str(body.get("label") or ""), priority)


def _inferred_destination(refs: dict[str, Doc]) -> Doc:
    """Core: no destination means the container of the first file input (never an analysis)."""
    for ref in refs.values():
        if ref["type"] == "analysis":
            raise HttpError(
                400, "Cannot use analysis for destination of a job, container was inferred."
            )
        return {"type": ref["type"], "id": ref["id"]}
    raise HttpError(400, "Must specify destination if gear has no inputs.")


def enqueue(
    ctx: Context,
    job: Prepared,
    *,
    origin: Doc,
    batch: str | None = None,
    destination: Doc | None = None,
) -> Doc:
    """Queue the job; core appends the gear name to its tags."""
    dest = destination or job.destination
    assert dest is not None
    gear = job.gear
    tags = list(job.tags)
    name = gear["gear"]["name"]
    if name not in tags:
        tags.append(name)
    created = ctx.world.add_job(
        gear,
        dest,
        inputs=job.inputs,
        config=job.config,
        tags=tags,
        label=job.label,
        origin=origin,
        now=ctx.clock.now(),
        batch=batch,
    )
    created["priority"] = job.priority
    ctx.simulator.schedule(created)
    return created


def analysis_with_job(
    ctx: Context,
    parent: tuple[str, Doc],
    label: str,
    body: Any,
    *,
    uid: str | None,
    origin: Doc,
    extra_tags: tuple[str, ...] = (),
    batch: str | None = None,
) -> tuple[Doc, Doc]:
    """A new analysis under ``parent`` and its job, whose destination is the analysis;
    core tags that job ``analysis``. Nothing is created if the job is refused."""
    ptype, pdoc = parent
    if ptype not in ("project", "subject", "session", "acquisition"):
        raise HttpError(400, f"Cannot create analysis via job at the {ptype} level")
    job = prepare(ctx, body, uid=uid, analysis_parent=parent)
    if job.gear.get("category") != "analysis":
        # no source: core does not check; gear.run does this only for analysis gears
        raise HttpError(400, f"Gear {job.gear['gear']['name']} is not an analysis gear")
    for tag in (*extra_tags, "analysis"):
        if tag not in job.tags:
            job.tags.append(tag)
    analysis, _ = ctx.world.add_analysis(
        pdoc,
        label,
        inputs=job.inputs,
        now=ctx.clock.now(),
    )
    analysis["user"] = origin.get("id")
    created = enqueue(
        ctx,
        job,
        origin=origin,
        batch=batch,
        destination={"type": "analysis", "id": analysis["_id"]},
    )
    analysis["job"] = created["_id"]
    analysis["gear_info"] = dict(created["gear_info"])
    return analysis, created
