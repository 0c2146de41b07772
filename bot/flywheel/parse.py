"""Flywheel's JSON (as the API returns it) -> fwbot's domain models.

Pure functions, so each reading of a Flywheel document is written once and can be
tested without a server.
"""

from __future__ import annotations

import re
from typing import Any

from bot.domain import (
    AnalysisFiles,
    ConfigOption,
    ContainerFiles,
    FileInfo,
    GearDetail,
    GearInput,
    GearSummary,
    InputFile,
    JobRecord,
    JobState,
    ProjectRole,
    SessionRef,
    UserRef,
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
            types=input_types(spec),
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


def user_ref(user: dict[str, Any]) -> UserRef:
    """A user as raw JSON (``GET /users/self``, ``GET /users``) -> UserRef, keyed by its
    ``_id``: a Flywheel user's id and email are separate fields."""
    name = " ".join(str(p) for p in (user.get("firstname"), user.get("lastname")) if p)
    return UserRef(
        user_id=str(user.get("_id") or user.get("id") or ""),
        email=str(user.get("email") or ""),
        display_name=name,
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


def input_types(spec: dict[str, Any]) -> list[str] | None:
    """A manifest input's file types (``"type": {"enum": ["dicom", "parrec"]}``), if any."""
    declared = spec.get("type")
    if isinstance(declared, dict) and isinstance(declared.get("enum"), list):
        return [str(t) for t in declared["enum"]]
    return None


def file_info(doc: dict[str, Any]) -> FileInfo:
    """A file as containers and analyses list it (FileListOutput)."""
    raw = doc.get("classification") or {}
    classification = (
        {
            str(k): [str(v) for v in (vals if isinstance(vals, list) else [vals])]
            for k, vals in raw.items()
            if vals
        }
        if isinstance(raw, dict)
        else {}
    )
    version = doc.get("version")
    return FileInfo(
        name=str(doc.get("name") or ""),
        type=doc.get("type") or None,
        classification=classification,
        modality=doc.get("modality") or None,
        version=version if isinstance(version, int) and not isinstance(version, bool) else None,
        file_id=str(doc["file_id"]) if doc.get("file_id") else None,
        created=doc.get("created") or None,
    )


def container_files(container_type: str, doc: dict[str, Any]) -> ContainerFiles:
    """A project, subject, session or acquisition from a listing, with its files."""
    parents = {str(k): str(v) for k, v in (doc.get("parents") or {}).items() if v}
    subject = doc.get("subject") if container_type == "session" else None
    return ContainerFiles(
        container_type=container_type,
        container_id=str(doc.get("_id") or doc["id"]),
        label=str(doc.get("label") or ""),
        parents=parents,
        files=tuple(file_info(f) for f in doc.get("files") or [] if isinstance(f, dict)),
        subject_label=str((subject or {}).get("label") or "") if isinstance(subject, dict) else "",
    )


def analysis_files(analysis: dict[str, Any]) -> AnalysisFiles:
    """An analysis from a listing (its job inflated, or just its id) with its outputs.

    A job fwbot may not read leaves the state to the files: outputs mean it completed."""
    job = analysis.get("job")
    info = analysis.get("gear_info") or (job.get("gear_info") if isinstance(job, dict) else None)
    files = tuple(file_info(f) for f in analysis.get("files") or [] if isinstance(f, dict))
    if isinstance(job, dict):
        state = job_state(job.get("state"))
    else:
        state = JobState.COMPLETE if files else JobState.UNKNOWN
    parent = analysis.get("parent") or {}
    return AnalysisFiles(
        analysis_id=str(analysis.get("_id") or analysis.get("id")),
        label=str(analysis.get("label") or ""),
        parent_type=str(parent.get("type") or ""),
        parent_id=str(parent.get("id") or ""),
        gear_name=str((info or {}).get("name") or ""),
        gear_version=str((info or {}).get("version") or ""),
        state=state,
        created=analysis.get("created") or None,
        files=files,
    )


def job_inputs(job: dict[str, Any]) -> tuple[InputFile, ...]:
    """The files a job read, at their versions: ``config.inputs`` (what core hands the gear:
    ``hierarchy`` container, ``location.name``, ``object.version``/``file_id``), else the
    bare references of ``inputs`` (a dict in ``GET /jobs/{id}``, a list in job lists)."""
    config_inputs = (job.get("config") or {}).get("inputs") or {}
    found: list[InputFile] = []
    if isinstance(config_inputs, dict) and config_inputs:
        for spec in config_inputs.values():
            if not isinstance(spec, dict) or spec.get("base", "file") != "file":
                continue
            where = spec.get("hierarchy") or {}
            obj = spec.get("object") or {}
            name = (spec.get("location") or {}).get("name")
            if not name:
                continue
            version = obj.get("version")
            found.append(
                InputFile(
                    parent_type=str(where.get("type") or ""),
                    parent_id=str(where.get("id") or ""),
                    name=str(name),
                    version=version if isinstance(version, int) else None,
                    file_id=str(obj["file_id"]) if obj.get("file_id") else None,
                )
            )
        return tuple(found)
    refs = job.get("inputs") or {}
    items = refs.values() if isinstance(refs, dict) else refs
    for ref in items:
        if isinstance(ref, dict) and ref.get("name"):
            found.append(
                InputFile(
                    parent_type=str(ref.get("type") or ""),
                    parent_id=str(ref.get("id") or ""),
                    name=str(ref["name"]),
                )
            )
    return tuple(found)


def analysis_inputs(analysis: dict[str, Any]) -> tuple[InputFile, ...]:
    """The input files an analysis lists (copies of the files' entries at launch)."""
    found = []
    for f in analysis.get("inputs") or []:
        if not isinstance(f, dict) or not f.get("name"):
            continue
        where = f.get("parent_ref") or {}
        version = f.get("version")
        found.append(
            InputFile(
                parent_type=str(where.get("type") or ""),
                parent_id=str(where.get("id") or ""),
                name=str(f["name"]),
                version=version if isinstance(version, int) else None,
                file_id=str(f["file_id"]) if f.get("file_id") else None,
            )
        )
    return tuple(found)


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
        modified=job.get("modified"),
        transitions={str(k): v for k, v in (job.get("transitions") or {}).items() if v},
        parents={str(k): str(v) for k, v in (job.get("parents") or {}).items() if v},
        input_files=job_inputs(job),
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
    parent = analysis.get("parent") or {}
    parents = {str(k): str(v) for k, v in (analysis.get("parents") or {}).items() if v}
    if parent.get("type") and parent.get("id"):
        parents[str(parent["type"])] = str(parent["id"])
    if job is not None:
        record = job_record(job, session_id=session)
        update: dict[str, Any] = {"analysis_id": str(analysis.get("_id"))}
        if not record.saved_files and files:
            update["saved_files"] = files
        if not record.parents:
            update["parents"] = parents
        if not record.input_files:
            update["input_files"] = analysis_inputs(analysis)
        return record.model_copy(update=update)
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
        parents=parents,
        input_files=analysis_inputs(analysis),
    )
