"""Flywheel's JSON (as the API returns it) -> fwbot's domain models.

Pure functions, so each reading of a Flywheel document is written once and can be
tested without a server.
"""

from __future__ import annotations

import re
from typing import Any

from bot.domain import (
    ConfigOption,
    GearDetail,
    GearInput,
    GearSummary,
    JobRecord,
    JobState,
    ProjectRole,
    SessionRef,
)

# Built-in roles say what they are; only they carry ``default_flywheel_role``.
DEFAULT_ROLES: dict[str, ProjectRole] = {"ro": "read-only", "rw": "read-write", "admin": "admin"}
# A custom role is read by its actions (docs/permissions.md): what fwbot needs for each level.
READ_ACTIONS = frozenset({"containers_view_metadata"})
LAUNCH_ACTIONS = READ_ACTIONS | {"analyses_create_job", "jobs_manage"}
MANAGE_ACTIONS = LAUNCH_ACTIONS | {"jobs_manage_others"}


def role_level(role: dict[str, Any]) -> ProjectRole:
    """A site role (``GET /roles``) as fwbot's access level: by ``default_flywheel_role`` for
    the built-in roles, by ``actions`` for custom ones; never by label."""
    default = role.get("default_flywheel_role")
    if default in DEFAULT_ROLES:
        return DEFAULT_ROLES[default]
    actions = {a if isinstance(a, str) else str(a) for a in role.get("actions") or []}
    if actions >= MANAGE_ACTIONS:
        return "admin"
    if actions >= LAUNCH_ACTIONS:
        return "read-write"
    if actions >= READ_ACTIONS:
        return "read-only"
    return "none"


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Sort versions like ``0.2.2_1.5.2`` numerically, part by part."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"[._\-+]", version)
    )


def gear_summary(doc: dict[str, Any]) -> GearSummary:
    """A gear document (``{"_id", "category", "gear": manifest}``) -> GearSummary."""
    g = doc["gear"]
    return GearSummary(
        gear_id=str(doc.get("_id") or doc.get("id")),
        name=g["name"],
        label=g.get("label") or g["name"],
        version=g["version"],
        category=doc.get("category") or "",
    )


def gear_detail(doc: dict[str, Any], versions: list[str]) -> GearDetail:
    """A gear document as raw JSON -> GearDetail (the SDK's input models drop descriptions)."""
    g = doc["gear"]
    inputs = [
        GearInput(
            name=name,
            base=spec.get("base", "file"),
            description=spec.get("description", ""),
            optional=bool(spec.get("optional", False)),
        )
        for name, spec in (g.get("inputs") or {}).items()
    ]
    config = [
        ConfigOption(
            name=name,
            type=str(spec.get("type", "string")),
            default=spec.get("default"),
            enum=spec.get("enum"),
            description=spec.get("description", ""),
            optional=bool(spec.get("optional", "default" in spec)),
            minimum=spec.get("minimum"),
            maximum=spec.get("maximum"),
        )
        for name, spec in (g.get("config") or {}).items()
    ]
    return GearDetail(
        summary=gear_summary(doc),
        description=g.get("description") or "",
        versions=versions,
        inputs=inputs,
        config=config,
    )


def session_ref(session: dict[str, Any]) -> SessionRef:
    """A session as raw JSON (``GET /sessions``) -> SessionRef."""
    session_id = str(session.get("_id") or session["id"])
    subject = session.get("subject") or {}
    return SessionRef(
        session_id=session_id,
        label=session.get("label") or session_id,
        subject_label=subject.get("label") or "",
    )


def job_state(value: Any) -> JobState:
    """Flywheel's state string; one fwbot does not know reads as ``unknown``, not a crash."""
    try:
        return JobState(str(value))
    except ValueError:
        return JobState.UNKNOWN


def analysis_of(job: dict[str, Any]) -> str | None:
    """The analysis a job writes into, if its destination is one."""
    destination = job.get("destination") or {}
    if destination.get("type") == "analysis":
        return str(destination.get("id"))
    return None


def job_record(job: dict[str, Any], *, session_id: str | None = None) -> JobRecord:
    """A job as raw JSON (``/users/self/jobs``, ``/jobs/{id}``) -> JobRecord."""
    info = job.get("gear_info") or {}
    config = job.get("config") or {}
    return JobRecord(
        job_id=str(job.get("id") or job.get("_id")),
        state=job_state(job.get("state")),
        gear_name=str(info.get("name", "")),
        gear_version=str(info.get("version", "")),
        session_id=session_id or (job.get("parents") or {}).get("session"),
        analysis_id=analysis_of(job),
        label=str(job.get("label") or ""),
        config=dict(config.get("config") or {}),
        tags=list(job.get("tags") or []),
        failure_reason=job.get("failure_reason"),
        saved_files=list(job.get("saved_files") or []),
        created=job.get("created"),
    )


def analysis_session(analysis: dict[str, Any]) -> str | None:
    """The session an analysis hangs under (None for analyses on other containers)."""
    parent = analysis.get("parent") or {}
    return str(parent.get("id")) if parent.get("type") == "session" else None


def analysis_run(analysis: dict[str, Any], job: dict[str, Any] | None) -> JobRecord:
    """An analysis and (when fwbot may read it) its job -> the run it stands for.

    Without the job, the analysis's output files are the evidence: files mean the run
    completed; none means fwbot cannot tell (state ``unknown``)."""
    session = analysis_session(analysis)
    files = [str(f.get("name")) for f in analysis.get("files") or [] if isinstance(f, dict)]
    if job is not None:
        record = job_record(job, session_id=session)
        if not record.saved_files and files:
            record = record.model_copy(update={"saved_files": files})
        return record.model_copy(update={"analysis_id": str(analysis.get("_id"))})
    info = analysis.get("gear_info") or {}
    return JobRecord(
        job_id=str(analysis.get("job") or ""),
        state=JobState.COMPLETE if files else JobState.UNKNOWN,
        gear_name=str(info.get("name", "")),
        gear_version=str(info.get("version", "")),
        session_id=session,
        analysis_id=str(analysis.get("_id")),
        label=str(analysis.get("label") or ""),
        saved_files=files,
        created=analysis.get("created"),
    )
