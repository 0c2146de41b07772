"""Turn stored documents into the JSON each endpoint returns.

The SDK deserializes list and single endpoints into different models, so the
same job or analysis is rendered in two shapes: a *list* shape (``GET /jobs``:
``inputs`` as a list; analyses with ``job`` as an id) and a *single* shape
(``GET /jobs/{id}``: ``inputs`` as a dict, analyses with the job inflated).
Jobs always carry both ``_id`` and ``id`` because the models disagree.
"""

from __future__ import annotations

from typing import Any

from localfw.world import Doc, World


def json_copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, scalars).

    Responses are serialized after the world lock is released, so they must not share
    nested dicts with the world; this does what ``copy.deepcopy`` did for them, about
    ten times faster (it was most of the server's time when listing 1,329 jobs).
    """
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_copy(v) for v in value]
    return value


def job_single(job: Doc) -> Doc:
    out: Doc = json_copy(job)
    out["id"] = out["_id"] = job["_id"]
    return out


def job_list(job: Doc) -> Doc:
    out = job_single(job)
    out["inputs"] = [
        {"input": key, "type": ref.get("type"), "id": ref.get("id"), "name": ref.get("name")}
        for key, ref in job.get("inputs", {}).items()
    ]
    return out


def analysis(world: World, doc: Doc, *, inflate_job: bool) -> Doc:
    out: Doc = json_copy(doc)
    jid = doc.get("job")
    job = world.jobs.get(jid) if jid else None
    if job is not None:
        out["job_id"] = jid
        out["job"] = job_single(job) if inflate_job else jid
    else:
        out.pop("job", None)
    return out


def analyses_of(world: World, container_id: str, *, inflate_job: bool) -> list[Doc]:
    return [
        analysis(world, world.analyses[aid], inflate_job=inflate_job)
        for aid in world.analysis_index.get(container_id, [])
        if aid in world.analyses
    ]


def container(world: World, doc: Doc, *, single: bool) -> Doc:
    """A container as ``GET /{type}s/{id}`` (single) or in a list."""
    out = dict(doc)
    if doc.get("container_type") == "analysis":
        return analysis(world, doc, inflate_job=single)
    out["analyses"] = analyses_of(world, doc["_id"], inflate_job=single)
    if doc.get("container_type") == "session" and single:
        subject = world.subjects.get(doc.get("parents", {}).get("subject", ""))
        if subject is not None:
            out["subject"] = {k: v for k, v in subject.items() if k != "analyses"}
    return out


def gear(doc: Doc) -> Doc:
    out = dict(doc)
    out["id"] = doc["_id"]
    return out


def role(world: World, doc: Doc) -> Doc:
    """RoleOutput: ``_id``, ``label``, ``default_flywheel_role``, ``actions``, ``in_use``."""
    rid = doc["_id"]
    in_use = any(
        rid in perm.get("role_ids", [])
        for project in world.projects.values()
        for perm in project.get("permissions", [])
    )
    out: Doc = json_copy(doc)
    out["in_use"] = in_use
    return out
